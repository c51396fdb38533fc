"""The ``command.remind`` job: a status update is overdue, so say so and remind someone.

Who is reminded (seed 002 RACI: the Comms Lead communicates, the IC is accountable): the Comms
Lead; with none, the Incident Commander; with neither, the responders who acknowledged (else
those who joined; someone only paged has not taken the incident on). While no update comes,
the reminder repeats one interval later (Sev1 every 15 min, Sev2 30 min, Sev3 2 h): as often as
the updates themselves are due, so a late Comms Lead is nudged at the pace they are expected to
keep, never flooded.

Fencing: the job carries the cadence's token. The handler locks the cadence row, drops the job
unless the token still matches and the incident is open, and takes a new token for the next
reminder, so a replayed or duplicated job finds itself stale; the outbox rows' idempotency key
(``remind:<incident>:<token>:<user>:<contact>``) is the second line of defence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.command import cadence, role_holders
from plantao.command.models import UpdateCadence
from plantao.db import run_transaction
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, IncidentResponder
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed
from plantao.notify import reminders
from plantao.people.models import User

log = structlog.get_logger("plantao.command.reminding")

OVERDUE = "status_update.overdue"
ACTOR = "plantao"


def recipients(session: Session, incident_id: int) -> tuple[str, list[User]]:
    """Who to remind, and as what (``comms_lead``, ``incident_commander``, ``responder``)."""
    hats = role_holders.holders(session, [incident_id])[incident_id]
    for role in ("comms_lead", "incident_commander"):
        holder = next((h for h in hats if h.role == role), None)
        if holder is not None:
            user = session.get(User, holder.user_id)
            if user is not None:
                return role, [user]
    rows = session.execute(
        select(IncidentResponder.state, User)
        .join(User, User.id == IncidentResponder.user_id)
        .where(IncidentResponder.incident_id == incident_id)
        .order_by(IncidentResponder.added_at, User.id)
    ).all()
    acknowledged = [u for state, u in rows if state == "acknowledged"]
    return "responder", acknowledged or [u for state, u in rows if state == "joined"]


def _next_reminder(due: datetime, every: timedelta, now: datetime) -> datetime:
    nxt = due + every
    return nxt if nxt > now else now + every


def remind(session: Session, incident_id: int, token: int, due: datetime | None = None) -> str:
    """The job body; returns what happened (``reminded``, ``stale``, ``stopped``, ``early``)."""
    row = session.scalars(
        select(UpdateCadence).where(UpdateCadence.incident_id == incident_id).with_for_update()
    ).one_or_none()
    if row is None or row.token != token or row.state != cadence.ACTIVE:
        return "stale"
    if row.next_due_at is None:
        return "stale"
    incident = session.get(Incident, incident_id)
    if incident is None or incident.status in (Status.RESOLVED, Status.CLOSED):
        return "stopped"  # the reaction step stops the timer; nothing to remind of
    now = clock.now()
    if now < row.next_due_at:  # re-armed to a later time under the same token: never
        return "early"
    scheduled = due or row.next_due_at
    every = timedelta(seconds=row.interval_seconds) if row.interval_seconds else None
    role, users = recipients(session, incident_id)
    sent_to: list[str] = []
    for user in users:
        reminder = reminders.Reminder(
            due_at=row.next_due_at,
            every_minutes=None if every is None else int(every.total_seconds() // 60),
            role=role,
        )
        reminders.remind(session, incident, user, reminder, f"remind:{incident_id}:{token}")
        sent_to.append(user.handle)
    late = int((now - row.next_due_at).total_seconds() // 60)
    who = ", ".join(sent_to) if sent_to else "nobody (no Comms Lead, IC or responder)"
    message = (
        f"Status update overdue (due {row.next_due_at:%H:%M} UTC"
        + (f", {late} min ago" if late else "")
        + f"): reminded {who}"
    )
    incident_service.append(
        session,
        incident_id,
        [
            incident_service.TimelineItem(
                OVERDUE,
                ACTOR,
                message,
                {
                    "due": row.next_due_at.isoformat(),
                    "scheduled": scheduled.isoformat(),
                    "reminded": sent_to,
                    "as": role,
                    "reminder": row.reminders + 1,
                },
            )
        ],
        at=now,
    )
    row.overdue_since = row.overdue_since or now
    row.reminders += 1
    row.token += 1
    row.updated_at = now
    if every is not None:
        nxt = _next_reminder(scheduled, every, now)
        job_service.enqueue(
            session,
            cadence.JOB_KIND,
            {"incident_id": incident_id, "token": row.token, "due": nxt.isoformat()},
            due_at=nxt,
            dedup_key=f"{cadence.JOB_KIND}:{incident_id}:{row.token}",
        )
    session.flush()
    return "reminded"


def remind_job(factory: sessionmaker[Session], job: Claimed) -> None:
    """The ``command.remind`` handler: one transaction, fenced by the cadence's token."""
    incident_id, token = int(job.payload["incident_id"]), int(job.payload["token"])
    raw = job.payload.get("due")
    due = datetime.fromisoformat(str(raw)) if raw else None
    outcome = run_transaction(factory, lambda s: remind(s, incident_id, token, due))
    log.info(cadence.JOB_KIND, incident=incident_id, fence=token, outcome=outcome)
