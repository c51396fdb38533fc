"""The status-update cadence: when an incident's next update is due, and the timer that
reminds someone when it is not posted in time.

Seed 002's severity matrix: Sev1 every 15 min, Sev2 30 min, Sev3 2 h, Sev4 at close (no
timer); 003 §4.3: the P0 initial message within 5 minutes. One ``update_cadences`` row per
incident, like an escalation: ``next_due_at`` and a fencing ``token``. Every change to the row
(an update posted, the severity changed, resolved, reopened, a reminder sent) takes a new
token, so a reminder job written before it finds itself stale and does nothing: two engines,
a retried job or a lease that ran out never remind twice.

The timer follows the incident's facts, set-based, from the engine's reaction step
(:func:`reconcile`, :func:`resync`):

* opened → active, the first update due at ``triggered_at`` + the interval (Sev1: + 5 min);
* resolved / closed → stopped; reopened (or triggered again) → active, due as if just opened;
* severity changed → the interval of the new severity, counted from the last update (or from
  the opening when none was posted).

When the due time passes, the ``command.remind`` job marks the cadence overdue
(``overdue_since``), reminds the Comms Lead (else the IC, else the responders who
acknowledged) through the outbox, writes ``status_update.overdue`` on the timeline and reminds
again one interval later while no update comes. Posting an update (:func:`rearm`) clears it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.command.models import StatusUpdate, UpdateCadence
from plantao.db import is_postgres
from plantao.incidents import severity_config
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.incidents.severity import SeverityMatrix
from plantao.jobs import service as job_service

JOB_KIND = "command.remind"
ACTIVE, STOPPED = "active", "stopped"
#: 003 §4.3: a P0's initial message goes out within 5 minutes of detection.
FIRST_MESSAGE_SEV1 = timedelta(minutes=5)
_ENDED = (Status.RESOLVED, Status.CLOSED)


@dataclass(frozen=True)
class Due:
    """What a reader needs of a cadence: when the next update is due and whether it is late."""

    next_due_at: datetime | None
    overdue: bool
    overdue_since: datetime | None
    interval_minutes: int | None


def interval(matrix: SeverityMatrix, severity: str) -> timedelta | None:
    """The severity's update interval; None at close only (Sev4 by default)."""
    every = matrix.level(severity).update_every
    return every if every and every.total_seconds() > 0 else None


def first_due(severity: str, every: timedelta | None, since: datetime) -> datetime | None:
    """When the first (initial) update is due for an incident opened (or reopened) ``since``."""
    if every is None:
        return None
    return since + (min(FIRST_MESSAGE_SEV1, every) if severity == "sev1" else every)


def _job(incident_id: int, token: int, due: datetime) -> job_service.NewJob:
    return job_service.NewJob(
        JOB_KIND,
        {"incident_id": incident_id, "token": token, "due": due.isoformat()},
        due_at=due,
        dedup_key=f"{JOB_KIND}:{incident_id}:{token}",
    )


def _seconds(every: timedelta | None) -> int | None:
    return None if every is None else int(every.total_seconds())


def _arm(row: UpdateCadence, due: datetime | None, now: datetime) -> job_service.NewJob | None:
    """A new token and due time on a locked row; the job to enqueue for it."""
    row.state = ACTIVE
    row.token += 1
    row.next_due_at = due
    row.overdue_since = None
    row.updated_at = now
    return None if due is None else _job(row.incident_id, row.token, due)


def _locked(session: Session, incident_ids: Sequence[int]) -> dict[int, UpdateCadence]:
    if not incident_ids:
        return {}
    stmt = (
        select(UpdateCadence)
        .where(UpdateCadence.incident_id.in_(sorted(set(incident_ids))))
        .order_by(UpdateCadence.incident_id)
        .with_for_update()
    )
    return {row.incident_id: row for row in session.scalars(stmt)}


def reconcile(session: Session, incidents: Sequence[Incident]) -> int:
    """Bring these incidents' timers in line with their status now (the reaction step calls it
    for incidents opened or moved through the lifecycle). Returns the timers changed."""
    if not incidents:
        return 0
    matrix = severity_config.severity_matrix(session)
    rows = _locked(session, [i.id for i in incidents])
    now = clock.now()
    jobs: list[job_service.NewJob] = []
    new: list[dict[str, Any]] = []  # one INSERT for the batch (a storm opens hundreds)
    changed = 0
    for incident in sorted(incidents, key=lambda i: i.id):
        row = rows.get(incident.id)
        ended = incident.status in _ENDED
        if row is None:
            every = interval(matrix, incident.severity)
            due = None if ended else first_due(incident.severity, every, incident.triggered_at)
            new.append(
                {
                    "incident_id": incident.id,
                    "state": STOPPED if ended else ACTIVE,
                    "interval_seconds": _seconds(every),
                    "next_due_at": due,
                    "token": 1,
                    "reminders": 0,
                    "overdue_since": None,
                    "updated_at": now,
                }
            )
            if due is not None:
                jobs.append(_job(incident.id, 1, due))
            changed += 1
        elif ended and row.state == ACTIVE:
            row.state, row.token, row.next_due_at = STOPPED, row.token + 1, None
            row.overdue_since, row.updated_at = None, now
            changed += 1
        elif not ended and row.state == STOPPED:
            every = interval(matrix, incident.severity)
            row.interval_seconds = _seconds(every)
            job = _arm(row, first_due(incident.severity, every, now), now)
            jobs += [job] if job else []
            changed += 1
    if new:  # an engine reacting to another marker of the same incident may have won
        builder = postgresql.insert if is_postgres(session) else sqlite.insert
        session.execute(builder(UpdateCadence).on_conflict_do_nothing(), new)
    session.flush()
    job_service.enqueue_many(session, jobs)
    return changed


def _last_posted(session: Session, incident_ids: Sequence[int]) -> dict[int, datetime]:
    if not incident_ids:
        return {}
    rows = session.execute(
        select(StatusUpdate.incident_id, func.max(StatusUpdate.posted_at))
        .where(StatusUpdate.incident_id.in_(sorted(set(incident_ids))))
        .group_by(StatusUpdate.incident_id)
    ).tuples()
    return {incident_id: at for incident_id, at in rows if at is not None}


def resync(session: Session, incidents: Sequence[Incident]) -> int:
    """The severity of these incidents changed: an active timer whose interval differs takes
    the new one, counted from the last update posted (or from the opening, with the Sev1 first
    message rule, when none was). Returns the timers changed."""
    if not incidents:
        return 0
    matrix = severity_config.severity_matrix(session)
    rows = _locked(session, [i.id for i in incidents])
    last = _last_posted(session, list(rows))
    now = clock.now()
    jobs: list[job_service.NewJob] = []
    for incident in incidents:
        row = rows.get(incident.id)
        every = interval(matrix, incident.severity)
        if row is None or row.state != ACTIVE or row.interval_seconds == _seconds(every):
            continue
        row.interval_seconds = _seconds(every)
        posted = last.get(incident.id)
        if every is None:
            due = None
        elif posted is not None:
            due = posted + every
        else:
            due = first_due(incident.severity, every, incident.triggered_at)
        job = _arm(row, due, now)
        jobs += [job] if job else []
    session.flush()
    job_service.enqueue_many(session, jobs)
    return len(jobs)


def rearm(
    session: Session, incident: Incident, due: datetime | None, *, stop: bool = False
) -> UpdateCadence:
    """An update was posted (the incident is locked by the caller): the next one is due at
    ``due`` (None: at close); ``stop`` ends the timer (the resolution update)."""
    now = clock.now()
    row = _locked(session, [incident.id]).get(incident.id)
    every = interval(severity_config.severity_matrix(session), incident.severity)
    if row is None:
        row = UpdateCadence(
            incident_id=incident.id,
            state=ACTIVE,
            interval_seconds=_seconds(every),
            next_due_at=None,
            token=0,
            reminders=0,
            overdue_since=None,
            updated_at=now,
        )
        session.add(row)
    row.interval_seconds = _seconds(every)
    job = _arm(row, None if stop else due, now)
    if stop:
        row.state = STOPPED
    session.flush()
    if job is not None:
        job_service.enqueue_many(session, [job])
    return row


def dues(session: Session, incident_ids: Sequence[int]) -> dict[int, Due]:
    """The cadence of each incident that has an active one, in one query (lists, the API).
    Overdue once the due time has passed, even before the engine's reminder has run."""
    if not incident_ids:
        return {}
    now = clock.now()
    rows = session.scalars(
        select(UpdateCadence).where(
            UpdateCadence.incident_id.in_(sorted(set(incident_ids))),
            UpdateCadence.state == ACTIVE,
        )
    )
    return {
        row.incident_id: Due(
            next_due_at=row.next_due_at,
            overdue=row.next_due_at is not None and row.next_due_at <= now,
            overdue_since=row.overdue_since,
            interval_minutes=None if row.interval_seconds is None else row.interval_seconds // 60,
        )
        for row in rows
    }


def overdue_count(session: Session) -> int:
    """Active cadences past their due time now (the ``plantao_status_updates_overdue`` gauge)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(UpdateCadence)
            .where(UpdateCadence.state == ACTIVE, UpdateCadence.next_due_at <= clock.now())
        )
        or 0
    )
