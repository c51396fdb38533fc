"""Running escalations: start on trigger, one step per timer, stop on ack/resolve.

The engine's reaction step (``plantao.engine.reactions``) calls :func:`start_new`,
:func:`start` and :func:`stop_many` when incidents open, reopen or leave the triggered state.

The state of an incident's escalation is one ``oncall_escalations`` row: the policy snapshot
taken when it started, a cursor (the next position to fire), ``due_at`` and a fencing
``token``. Every timer is an ``oncall.escalate`` job carrying ``(incident_id, token)``. The
job locks the incident, then the row, and fires only when the token still matches and the
incident is still triggered; firing writes the next position with a new token and enqueues
its timer. Ack, resolve, reopen and manual escalation change the token too, so a stale or
duplicated timer finds a different token and does nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.catalog.models import Service
from plantao.errors import Conflict
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import OPEN_STATES, Status
from plantao.incidents.models import Incident
from plantao.jobs import service as job_service
from plantao.observability import metrics
from plantao.oncall import (
    default_policies,
    escalation_plan,
    reach,
    settings,
    window_store,
)
from plantao.oncall.escalation_plan import Cursor, CursorKind, PolicySnapshot, Urgency
from plantao.oncall.models import Escalation, EscalationPolicy, Page
from plantao.people.models import User

#: The job kind of escalation timers, named here only; ``engine/handlers.py`` runs it, urgent.
JOB_KIND = "oncall.escalate"
ACTOR = "oncall"


def _note(session: Session, incident_id: int, kind: str, message: str, **data: Any) -> None:
    incident_service.append(
        session, incident_id, [incident_service.TimelineItem(kind, ACTOR, message, data)]
    )


def _schedule(session: Session, esc: Escalation, due_at: datetime) -> None:
    esc.token += 1
    esc.due_at = due_at
    esc.updated_at = clock.now()
    job_service.enqueue(
        session,
        JOB_KIND,
        {"incident_id": esc.incident_id, "token": esc.token},
        due_at=due_at,
        dedup_key=f"{JOB_KIND}:{esc.incident_id}:{esc.token}",
    )


def policy_for_service(session: Session, service_id: int) -> EscalationPolicy | None:
    """The service's policy after fallback (its own, its team's default, the global one)."""
    return policies_for_services(session, [service_id]).get(service_id)


def policies_for_services(
    session: Session, service_ids: Sequence[int]
) -> dict[int, EscalationPolicy]:
    """The policy of each of ``service_ids`` that has one after fallback, in a few queries."""
    resolved = default_policies.resolve(session, service_ids)
    return {sid: r.policy for sid, r in resolved.items() if r.policy is not None}


def _note_unpaged(session: Session, incidents: Sequence[Incident]) -> None:
    """A ``paging.nobody`` timeline entry (and the counter) for incidents no policy covers:
    an incident that pages nobody must say so where responders and dashboards look."""
    if not incidents:
        return
    resolved = default_policies.resolve(session, [i.service_id for i in incidents])
    for incident in incidents:
        found = resolved.get(incident.service_id)
        if found is None:
            continue
        _note(
            session,
            incident.id,
            "paging.nobody",
            found.nobody_message(),
            service=found.service_slug,
            team=found.team_slug,
        )
        metrics.INCIDENTS_UNPAGED.inc()


def get(session: Session, incident_id: int, *, for_update: bool = False) -> Escalation | None:
    stmt = select(Escalation).where(Escalation.incident_id == incident_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).one_or_none()


def start(session: Session, incident: Incident) -> Escalation | None:
    """Snapshot the service's policy and make step 1 due now (the engine fires it)."""
    now = clock.now()
    esc = get(session, incident.id, for_update=True)
    if esc is not None:  # a reopen: same snapshot, from the top
        snapshot = PolicySnapshot.from_dict(esc.snapshot)
    else:
        policy = policy_for_service(session, incident.service_id)
        if policy is None:
            _note_unpaged(session, [incident])
            return None
        snapshot = PolicySnapshot.from_dict(policy.body)
        esc = Escalation(
            incident_id=incident.id,
            policy_slug=policy.slug,
            snapshot=snapshot.to_dict(),
            cursor=Cursor().to_dict(),
            state="active",
            token=0,
            fired=0,
            due_at=None,
            notice=None,
            started_at=now,
            updated_at=now,
            unresolved_next=0,
            unresolved_token=0,
            unresolved_due_at=None,
            unresolved_since=now,
        )
        session.add(esc)
    if esc.unresolved_since is None:  # reopened: "not resolved after" counts from now
        esc.unresolved_since = now
    first = escalation_plan.first(snapshot, now)
    esc.cursor = first.cursor.to_dict()
    esc.state = "active"
    esc.notice = None
    assert first.due_at is not None
    _schedule(session, esc, first.due_at)
    session.flush()
    return esc


def start_new(session: Session, incidents: Sequence[Incident]) -> None:
    """:func:`start` for newly opened incidents, with set-based statements.

    One query skips incidents that already have a row (it is never started twice), one finds
    the services' policies, one INSERT writes the rows (token 1, step 1 due now) and one more
    their timers, however many incidents a batch opened. The rows are written as :func:`start`
    would write them; a reopen goes through :func:`start`.
    """
    if not incidents:
        return
    started = set(
        session.scalars(
            select(Escalation.incident_id).where(
                Escalation.incident_id.in_(sorted({i.id for i in incidents}))
            )
        )
    )
    incidents = [i for i in incidents if i.id not in started]
    if not incidents:
        return
    now = clock.now()
    policies = policies_for_services(session, [i.service_id for i in incidents])
    plans: dict[int, tuple[str, dict[str, Any], dict[str, Any], datetime]] = {}
    for policy in policies.values():
        if policy.id not in plans:
            snapshot = PolicySnapshot.from_dict(policy.body)
            first = escalation_plan.first(snapshot, now)
            assert first.due_at is not None
            plans[policy.id] = (
                policy.slug,
                snapshot.to_dict(),
                first.cursor.to_dict(),
                first.due_at,
            )
    rows: list[dict[str, Any]] = []
    timers: list[job_service.NewJob] = []
    token = 1  # what _schedule makes of a fresh row's 0
    _note_unpaged(session, [i for i in incidents if i.service_id not in policies])
    for incident in incidents:
        found = policies.get(incident.service_id)
        if found is None:
            continue
        slug, snapshot_dict, cursor, due_at = plans[found.id]
        rows.append(
            {
                "incident_id": incident.id,
                "policy_slug": slug,
                "snapshot": snapshot_dict,
                "cursor": cursor,
                "state": "active",
                "token": token,
                "fired": 0,
                "due_at": due_at,
                "notice": None,
                "started_at": now,
                "updated_at": now,
                "unresolved_next": 0,
                "unresolved_token": 0,
                "unresolved_due_at": None,
                "unresolved_since": incident.triggered_at,
            }
        )
        timers.append(
            job_service.NewJob(
                JOB_KIND,
                {"incident_id": incident.id, "token": token},
                due_at=due_at,
                dedup_key=f"{JOB_KIND}:{incident.id}:{token}",
            )
        )
    if rows:
        session.execute(insert(Escalation), rows)
        job_service.enqueue_many(session, timers)


def stop_many(session: Session, incident_ids: Sequence[int]) -> int:
    """Stop the active escalations of those of ``incident_ids`` that are no longer triggered,
    in one UPDATE; the new token makes their pending timers stale. Returns how many stopped."""
    if not incident_ids:
        return 0
    ids = sorted(set(incident_ids))
    left = select(Incident.id).where(Incident.id.in_(ids), Incident.status != Status.TRIGGERED)
    result = session.execute(
        update(Escalation)
        .where(
            Escalation.incident_id.in_(ids),
            Escalation.state == "active",
            Escalation.incident_id.in_(left),
        )
        .values(state="stopped", token=Escalation.token + 1, due_at=None, updated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _label(snapshot: PolicySnapshot, cursor: Cursor) -> str:
    if cursor.kind is CursorKind.FALLBACK:
        return "fallback"
    text = f"step {cursor.step + 1} of {len(snapshot.steps)}"
    if cursor.repeat:
        text += f", repeat {cursor.repeat}/{snapshot.repeat}"
    return text


def _alert_labels(session: Session, incident_id: int) -> list[dict[str, str]]:
    return [dict(a.labels) for a in alert_service.alerts_for_incident(session, incident_id)]


def _held_back(session: Session, incident: Incident, esc: Escalation, now: datetime) -> bool:
    """Maintenance windows and working hours: reschedule instead of paging."""
    service = session.get(Service, incident.service_id)
    slug = service.slug if service is not None else ""
    found = window_store.suppression_for(session, slug, _alert_labels(session, incident.id), now)
    if found is not None:
        notice = f"window:{found.name}"
        if esc.notice != notice:
            _note(
                session,
                incident.id,
                "oncall.suppressed",
                f"Paging suppressed by maintenance window '{found.name}'",
                window=found.name,
            )
            esc.notice = notice
        if found.until is None:
            esc.state = "stopped"
            esc.token += 1
            esc.due_at = None
        else:
            _schedule(session, esc, found.until)
        return True
    if escalation_plan.urgency_for(incident.severity) is Urgency.LOW:
        hours = settings.working_hours(session)
        opens = escalation_plan.next_working_time(now, hours)
        if opens > now:
            _note(
                session,
                incident.id,
                "oncall.deferred",
                f"Low urgency ({incident.severity}): paging deferred to working hours, "
                f"{opens:%Y-%m-%d %H:%M} UTC",
                until=opens.isoformat(),
            )
            esc.notice = "deferred"
            _schedule(session, esc, opens)
            return True
    return False


def _fire(session: Session, incident: Incident, esc: Escalation, *, manual_by: str | None) -> None:
    """Page the position under the cursor and write the next one."""
    now = clock.now()
    snapshot = PolicySnapshot.from_dict(esc.snapshot)
    cursor = Cursor.from_dict(esc.cursor)
    if cursor.kind is CursorKind.EXHAUSTED:
        return
    label = _label(snapshot, cursor)
    if cursor.kind is CursorKind.FALLBACK:
        _note(
            session,
            incident.id,
            "oncall.exhausted",
            f"Escalation policy '{esc.policy_slug}' exhausted without acknowledgement "
            f"after {snapshot.repeat + 1} pass(es); notifying the fallback",
        )
    urgency = escalation_plan.urgency_for(incident.severity).value
    esc.fired += 1
    found = reach.page_targets(
        session,
        incident,
        escalation_plan.targets_at(snapshot, cursor),
        firing=esc.fired,
        label=label,
        reason=f"policy '{esc.policy_slug}', {label}",
        at=now,
    )
    reached = list(found.users)
    by = f" by {manual_by}" if manual_by else ""
    if reached:
        _note(
            session,
            incident.id,
            "oncall.paged",
            f"Paged {', '.join(reached)} ({label}){by}",
            users=reached,
            cursor=cursor.to_dict(),
            urgency=urgency,
        )
    else:
        why = "; ".join(found.why_nobody)
        _note(
            session,
            incident.id,
            "oncall.unreached",
            f"{label.capitalize()} reached nobody ({why})",
            cursor=cursor.to_dict(),
        )
        if esc.fired == 1 and manual_by is None:
            _note(
                session,
                incident.id,
                "paging.nobody",
                f"Nobody was paged: the first step of escalation policy '{esc.policy_slug}' "
                f"reached nobody ({why})",
                policy=esc.policy_slug,
            )
            metrics.INCIDENTS_UNPAGED.inc()
    following = escalation_plan.advance(snapshot, cursor, now, reached_nobody=not reached)
    esc.cursor = following.cursor.to_dict()
    esc.notice = None
    if following.due_at is None:
        esc.state = "exhausted"
        esc.token += 1
        esc.due_at = None
        if cursor.kind is not CursorKind.FALLBACK:
            _note(
                session,
                incident.id,
                "oncall.exhausted",
                f"Escalation policy '{esc.policy_slug}' exhausted without acknowledgement "
                f"after {snapshot.repeat + 1} pass(es)",
            )
    elif esc.state == "active":
        _schedule(session, esc, following.due_at)
    session.flush()


def run_timer(session: Session, incident_id: int, token: int) -> str:
    """The ``oncall.escalate`` job body; returns what happened (for logs and tests)."""
    incident = incident_service.get_many(session, [incident_id], for_update=True)
    esc = get(session, incident_id, for_update=True)
    if not incident or esc is None or esc.token != token or esc.state != "active":
        return "stale"
    if incident[0].status is not Status.TRIGGERED:
        esc.state = "stopped"
        esc.token += 1
        esc.due_at = None
        session.flush()
        return "stopped"
    if _held_back(session, incident[0], esc, clock.now()):
        session.flush()
        return "held"
    _fire(session, incident[0], esc, manual_by=None)
    return "fired"


def escalate_now(session: Session, incident_id: int, actor: str) -> Escalation:
    """Fire the next position at once (a person asked): no working-hours or window hold."""
    found = incident_service.get_many(session, [incident_id], for_update=True)
    if not found:
        incident_service.get(session, incident_id)  # raises NotFound
    incident = found[0]
    if incident.status not in OPEN_STATES:
        raise Conflict(f"{incident.human_id} is {incident.status}; reopen it to escalate")
    esc = get(session, incident_id, for_update=True)
    if esc is None:
        raise Conflict(f"{incident.human_id}'s service has no escalation policy")
    if Cursor.from_dict(esc.cursor).kind is CursorKind.EXHAUSTED:
        raise Conflict(f"{incident.human_id}'s escalation policy is exhausted")
    # Acknowledged: page the next level once and stay stopped; triggered: carry on from there.
    esc.state = "active" if incident.status is Status.TRIGGERED else "stopped"
    _fire(session, incident, esc, manual_by=actor)
    return esc


def pages(session: Session, incident_id: int) -> list[tuple[int, str, str, str, datetime]]:
    """(firing, label, user handle, urgency, paged_at) for an incident, oldest first."""
    rows = session.execute(
        select(Page.firing, Page.label, User.handle, Page.urgency, Page.paged_at)
        .join(User, User.id == Page.user_id)
        .where(Page.incident_id == incident_id)
        .order_by(Page.id)
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows.tuples()]
