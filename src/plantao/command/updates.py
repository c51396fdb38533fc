"""Posting a status update (seed 002 ``status-template``, 003 §4.3) and reading them back.

An update says where the incident stands now (investigating / identified / monitoring /
resolved), its impact, symptoms, the mitigation in place and the next steps with owner and ETA.
The first one is the ``initial`` message, a ``resolved`` one is the ``resolution`` message and
carries the duration (computed from ``triggered_at``), root cause, fix, monitoring period and
the postmortem date; everything between is an ``update``.

Posting re-arms the cadence (:mod:`plantao.command.cadence`): the next update is due one
severity interval later (None at Sev4: "at close"), or when the poster says, within
``[1 min, 2 × interval]`` (at most a day when the severity has no interval). A resolution update
ends the timer, and so does any update on a resolved or closed incident (a correction). The
stakeholders' copies are sent later by the engine (``fanned_out_at`` stays NULL here): nothing
leaves from the request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.command import cadence
from plantao.command.models import StatusUpdate
from plantao.command.update_schemas import StatusUpdateIn
from plantao.errors import ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents import severity_config
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident

POSTED = "status_update"
MIN_NEXT = timedelta(minutes=1)
#: Without an interval (Sev4), a poster may still promise a next update, within a day.
MAX_NEXT_AT_CLOSE = timedelta(days=1)


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}])


def _next_due(data: StatusUpdateIn, every: timedelta | None, now: datetime) -> datetime | None:
    if data.status == "resolved":
        return None
    if data.next_update_at is None:
        return None if every is None else now + every
    latest = now + (2 * every if every is not None else MAX_NEXT_AT_CLOSE)
    wanted = data.next_update_at
    if not now + MIN_NEXT <= wanted <= latest:
        raise _fail(
            "next_update_at",
            f"must be between {now + MIN_NEXT:%Y-%m-%d %H:%M} and {latest:%Y-%m-%d %H:%M} UTC",
        )
    return wanted


def _resolution(
    session: Session, incident: Incident, data: StatusUpdateIn, now: datetime
) -> dict[str, Any] | None:
    if data.resolution is None:
        return None
    level = severity_config.severity_matrix(session).level(incident.severity)
    needs_postmortem = level.rca_within is not None or level.rca_business_days is not None
    if needs_postmortem and data.resolution.postmortem_at is None:
        raise _fail(
            "resolution.postmortem_at",
            f"a {incident.severity} resolution names the postmortem date (003 §4.3)",
        )
    end = incident.resolved_at or now
    return {
        "duration_minutes": max(0, int((end - incident.triggered_at).total_seconds() // 60)),
        "root_cause": data.resolution.root_cause,
        "fix": data.resolution.fix,
        "monitoring": data.resolution.monitoring,
        "postmortem_at": (
            None
            if data.resolution.postmortem_at is None
            else data.resolution.postmortem_at.isoformat()
        ),
    }


def _summary(update: StatusUpdate) -> str:
    head = {"initial": "Initial update", "update": "Status update", "resolution": "Resolved"}[
        update.kind
    ]
    text = f"{head} ({update.status}): {update.impact}"
    if update.mitigation:
        text += f" Mitigation: {update.mitigation}"
    if update.next_steps:
        text += f" Next: {len(update.next_steps)} step(s)"
    if update.next_update_due_at is not None:
        text += f"; next update by {update.next_update_due_at:%H:%M} UTC"
    return text[:2000]


def post(session: Session, incident: Incident, data: StatusUpdateIn, *, actor: str) -> StatusUpdate:
    """Post an update on ``incident`` (locked by the caller, who checked the poster may act):
    the row, its timeline entry and the re-armed cadence, in the caller's transaction."""
    now = clock.now()
    every = cadence.interval(severity_config.severity_matrix(session), incident.severity)
    ended = incident.status in (Status.RESOLVED, Status.CLOSED)
    due = None if ended else _next_due(data, every, now)
    resolution = _resolution(session, incident, data, now)
    first = session.scalar(
        select(StatusUpdate.id).where(StatusUpdate.incident_id == incident.id).limit(1)
    )
    kind = "resolution" if data.status == "resolved" else ("update" if first else "initial")
    update = StatusUpdate(
        incident_id=incident.id,
        kind=kind,
        status=data.status,
        impact=data.impact,
        symptoms=data.symptoms or None,
        mitigation=data.mitigation or None,
        next_steps=[
            {
                "action": step.action,
                "owner": step.owner or None,
                "eta": None if step.eta is None else step.eta.isoformat(),
            }
            for step in data.next_steps
        ],
        resolution=resolution,
        posted_by=actor[:200],
        posted_at=now,
        next_update_due_at=due,
        fanned_out_at=None,
    )
    session.add(update)
    session.flush()
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                POSTED,
                actor,
                _summary(update),
                {
                    "update_id": update.id,
                    "kind": kind,
                    "status": data.status,
                    "impact": data.impact[:500],
                    "next_update_due_at": None if due is None else due.isoformat(),
                },
            )
        ],
        at=now,
    )
    cadence.rearm(session, incident, due, stop=ended or kind == "resolution")
    return update


def history(session: Session, incident_id: int) -> list[StatusUpdate]:
    """The incident's updates, newest first."""
    return list(
        session.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.incident_id == incident_id)
            .order_by(StatusUpdate.id.desc())
        )
    )
