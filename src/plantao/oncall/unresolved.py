"""Escalating an acknowledged incident that is not resolved (seed 003 §9.1/§9.2).

The normal escalation (``oncall.escalations``) stops when someone acknowledges: the incident has
an owner. Seed 003 goes on: "escalate after 30 min without resolution" to the tech lead (level
2), after an hour to the manager (level 3), and at once on a suspected security breach or data
loss. A policy declares those levels (``unresolved`` in ``plantao.yaml``, the maths in
:mod:`plantao.oncall.unresolved_plan`); levels are the policy's steps, and the snapshot taken
when the incident triggered is what runs.

State lives on the incident's ``oncall_escalations`` row, beside the normal escalation's, with
its own fencing token: ``unresolved_next`` (the next level), ``unresolved_token``,
``unresolved_due_at`` and ``unresolved_since`` (what ``after`` counts from: the trigger, or the
reopen). Every timer is an ``oncall.unresolved`` job carrying ``(incident_id, token)``; it locks
the incident, then the row, and fires only when the token matches and the incident is still
acknowledged, so a stale or duplicated timer (two engines, a lease that expired) pages nobody.

Who calls what:

- the engine's reaction step calls :func:`follow` for incidents whose status changed: an
  acknowledgement schedules the next level (or, with a security/data-risk posture, fires every
  pending level at once); mitigate, resolve and close stop it and forget the levels fired, so a
  reopen starts from level 2 again counted from the reopen;
- a snooze's end (acknowledged → triggered) keeps the levels fired and the trigger time: the
  next acknowledgement picks up where they were;
- entry points call :func:`risk_raised` after recording a high risk posture (or a category) on
  an acknowledged incident: the pending levels fire at once, in the caller's transaction.

While a snooze is in force the levels wait: the responder asked to be paged again later, and
the snooze's end re-triggers the incident, whose escalation then runs from step 1. Low-urgency
incidents (Sev3/Sev4) wait for working hours and maintenance windows hold the level, as for
the normal escalation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.catalog.models import Service
from plantao.db import run_transaction
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed
from plantao.oncall import escalation_plan, escalations, reach, settings, snooze, window_store
from plantao.oncall.escalation_plan import PolicySnapshot, Urgency
from plantao.oncall.models import Escalation
from plantao.oncall.unresolved_plan import describe_after, due_at, due_now, risk_reason
from plantao.runbooks import posture

log = structlog.get_logger("plantao.oncall.unresolved")

#: The job kind of these timers; ``engine/handlers.py`` runs it with the urgent ones (it pages).
JOB_KIND = "oncall.unresolved"
ACTOR = "oncall"
#: States that end the escalation of an unresolved incident.
_ENDED = (Status.MITIGATED, Status.RESOLVED, Status.CLOSED)


def _note(session: Session, incident_id: int, kind: str, message: str, **data: object) -> None:
    incident_service.append(
        session, incident_id, [incident_service.TimelineItem(kind, ACTOR, message, dict(data))]
    )


def _snapshot(esc: Escalation) -> PolicySnapshot:
    return PolicySnapshot.from_dict(esc.snapshot)


def _since(esc: Escalation) -> datetime:
    return esc.unresolved_since or esc.started_at


def _schedule(session: Session, esc: Escalation, when: datetime | None) -> None:
    """A new token (pending timers become stale) and, when ``when`` is set, its timer."""
    esc.unresolved_token += 1
    esc.unresolved_due_at = when
    esc.updated_at = clock.now()
    if when is not None:
        job_service.enqueue(
            session,
            JOB_KIND,
            {"incident_id": esc.incident_id, "token": esc.unresolved_token},
            due_at=when,
            dedup_key=f"{JOB_KIND}:{esc.incident_id}:{esc.unresolved_token}",
        )
    session.flush()


def _pending(esc: Escalation) -> bool:
    return esc.unresolved_next < len(_snapshot(esc).unresolved)


def next_level(esc: Escalation) -> tuple[int, datetime] | None:
    """The level (its step number) scheduled to page next and when, if one is."""
    levels = _snapshot(esc).unresolved
    if esc.unresolved_due_at is None or esc.unresolved_next >= len(levels):
        return None
    return levels[esc.unresolved_next].step, esc.unresolved_due_at


def _risk(session: Session, incident: Incident) -> str | None:
    latest = posture.latest_risk(session, incident.id)
    level = None if latest is None else latest.get("level")
    return risk_reason(incident.category, level if isinstance(level, str) else None)


def _locked(session: Session, incident_id: int) -> tuple[Incident | None, Escalation | None]:
    """The incident, then its escalation row, locked in that order (as ``run_timer`` does)."""
    found = incident_service.get_many(session, [incident_id], for_update=True)
    esc = escalations.get(session, incident_id, for_update=True)
    return (found[0] if found else None), esc


def _fire(
    session: Session,
    incident: Incident,
    esc: Escalation,
    indexes: Sequence[int],
    *,
    risk: str | None,
) -> None:
    """Page the steps of the levels ``indexes`` (in order) and move past them."""
    now = clock.now()
    snapshot = _snapshot(esc)
    for index in indexes:
        level = snapshot.unresolved[index]
        after = describe_after(level.after)
        head = f"Not resolved after {after}" if risk is None else f"Security/data risk ({risk})"
        label = f"level {level.step}, " + (f"unresolved {after}" if risk is None else risk)
        esc.fired += 1
        found = reach.page_targets(
            session,
            incident,
            snapshot.steps[level.step - 1].targets,
            firing=esc.fired,
            label=label,
            reason=f"policy '{esc.policy_slug}', {head.lower()}: level {level.step}",
            at=now,
        )
        data: dict[str, object] = {
            "level": level.step,
            "after_seconds": int(level.after.total_seconds()),
        }
        if risk is not None:
            data["risk"] = risk
        if found.users:
            verb = "escalated" if risk is None else "escalated at once"
            _note(
                session,
                incident.id,
                "oncall.unresolved",
                f"{head}: {verb} to level {level.step} (paged {', '.join(found.users)})",
                users=list(found.users),
                **data,
            )
        else:
            _note(
                session,
                incident.id,
                "oncall.unreached",
                f"L{label[1:]} reached nobody ({'; '.join(found.why_nobody)})",
                **data,
            )
        esc.unresolved_next = index + 1


def _fire_all_for_risk(session: Session, incident: Incident, esc: Escalation, risk: str) -> None:
    levels = _snapshot(esc).unresolved
    _fire(session, incident, esc, range(esc.unresolved_next, len(levels)), risk=risk)
    _schedule(session, esc, None)


def begin(session: Session, incident_id: int) -> str:
    """The incident was acknowledged: schedule its next level, or with a security/data-risk
    posture fire every pending level now. Returns what happened (for logs and tests)."""
    incident, esc = _locked(session, incident_id)
    if incident is None or esc is None or not _pending(esc):
        return "none"
    if incident.status is not Status.ACKNOWLEDGED:
        return "none"
    if esc.unresolved_since is None:  # a row written before these levels existed
        esc.unresolved_since = esc.started_at
    risk = _risk(session, incident)
    if risk is not None:
        _fire_all_for_risk(session, incident, esc, risk)
        return "fired"
    _schedule(session, esc, due_at(_snapshot(esc).unresolved, _since(esc), esc.unresolved_next))
    return "scheduled"


def stop_many(session: Session, incident_ids: Sequence[int]) -> int:
    """Mitigated, resolved or closed: stop and forget the levels fired (one UPDATE), so a
    reopen counts from the reopen and starts again from the first level."""
    if not incident_ids:
        return 0
    ids = sorted(set(incident_ids))
    ended = select(Incident.id).where(Incident.id.in_(ids), Incident.status.in_(_ENDED))
    result = session.execute(
        update(Escalation)
        .where(
            Escalation.incident_id.in_(ended),
            or_(
                Escalation.unresolved_due_at.is_not(None),
                Escalation.unresolved_since.is_not(None),
                Escalation.unresolved_next != 0,
            ),
        )
        .values(
            unresolved_token=Escalation.unresolved_token + 1,
            unresolved_due_at=None,
            unresolved_since=None,
            unresolved_next=0,
            updated_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def follow(session: Session, incidents: Sequence[Incident]) -> None:
    """The reaction step's hook, for incidents opened or whose status changed: acknowledged →
    :func:`begin`; mitigated, resolved or closed → :func:`stop_many`. Triggered ones need
    nothing (the normal escalation runs; a timer due meanwhile finds them triggered)."""
    stop_many(session, [i.id for i in incidents if i.status in _ENDED])
    for incident in incidents:
        if incident.status is Status.ACKNOWLEDGED:
            begin(session, incident.id)


def risk_raised(session: Session, incident: Incident) -> str:
    """A high risk posture or a security/data-leak category was just recorded: on an
    acknowledged incident, every pending level fires now (seed 003 §9.1: escalate
    immediately on a suspected breach or data loss). Call it in the transaction that recorded
    it; on a triggered incident the acknowledgement will see it."""
    if incident.status is not Status.ACKNOWLEDGED:
        return "none"
    locked, esc = _locked(session, incident.id)
    if locked is None or esc is None or not _pending(esc):
        return "none"
    risk = _risk(session, locked)
    if risk is None:
        return "none"
    if esc.unresolved_since is None:
        esc.unresolved_since = esc.started_at
    _fire_all_for_risk(session, locked, esc, risk)
    return "fired"


def _held(session: Session, incident: Incident, esc: Escalation, now: datetime) -> bool:
    """Maintenance windows and working hours hold a level as they hold a normal step."""
    service = session.get(Service, incident.service_id)
    labels = [dict(a.labels) for a in alert_service.alerts_for_incident(session, incident.id)]
    found = window_store.suppression_for(session, service.slug if service else "", labels, now)
    if found is not None:
        _note(
            session,
            incident.id,
            "oncall.suppressed",
            f"Escalating the unresolved incident held by maintenance window '{found.name}'",
            window=found.name,
        )
        _schedule(session, esc, found.until)
        return True
    if escalation_plan.urgency_for(incident.severity) is Urgency.LOW:
        opens = escalation_plan.next_working_time(now, settings.working_hours(session))
        if opens > now:
            _note(
                session,
                incident.id,
                "oncall.deferred",
                f"Low urgency ({incident.severity}): escalating the unresolved incident "
                f"deferred to working hours, {opens:%Y-%m-%d %H:%M} UTC",
                until=opens.isoformat(),
            )
            _schedule(session, esc, opens)
            return True
    return False


def run_timer(session: Session, incident_id: int, token: int) -> str:
    """The ``oncall.unresolved`` job body; returns what happened (for logs and tests)."""
    incident, esc = _locked(session, incident_id)
    if incident is None or esc is None or esc.unresolved_token != token:
        return "stale"
    if incident.status is not Status.ACKNOWLEDGED:
        _schedule(session, esc, None)  # triggered again, or ended: the ack reschedules
        return "stopped"
    if snooze.current(session, incident) is not None:
        _schedule(session, esc, None)  # the snooze's end re-triggers; the next ack resumes
        return "snoozed"
    now = clock.now()
    if _held(session, incident, esc, now):
        return "held"
    levels = _snapshot(esc).unresolved
    due = due_now(levels, _since(esc), esc.unresolved_next, now)
    _fire(session, incident, esc, due, risk=None)
    _schedule(session, esc, due_at(levels, _since(esc), esc.unresolved_next))
    return "fired" if due else "early"


def run_job(factory: sessionmaker[Session], job: Claimed) -> None:
    """The ``oncall.unresolved`` handler: one transaction, fenced by the row's token."""
    incident_id, token = int(job.payload["incident_id"]), int(job.payload["token"])
    outcome = run_transaction(factory, lambda s: run_timer(s, incident_id, token))
    log.info(JOB_KIND, incident=incident_id, fence=token, outcome=outcome)
