"""Snoozing an acknowledged incident: it pages again after N minutes unless someone acts.

PagerDuty's snooze: the responder who owns an incident but cannot fix it yet asks to be paged
again later. At the end of the snooze the incident goes back to triggered and its escalation
starts again from step 1, exactly as a reopen does (the engine's reaction step reacts to the
``status`` marker written here).

Durable: the end of a snooze is an ``oncall.snooze_end`` job due at the end time, so a restart
loses nothing. The timeline is the only record of snoozes (no table of its own): a snooze is
in force while the newest entry among the snooze and lifecycle entries of its incident is its
own ``incident.snoozed`` entry. That entry carries a random token the job repeats, so a later
snooze, a resolve or a reopen makes the job stale without anyone having to find and cancel it
(the same fencing idea as escalation tokens).

The transition itself is ``incidents.lifecycle``'s (``SystemAction.SNOOZE_END``, acknowledged →
triggered): a move the pager makes, never a person, so it is not an ``Action`` anyone can ask
for from the API, the CLI or a page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.errors import Conflict, ValidationFailed
from plantao.incidents import lifecycle, reactions
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Status, SystemAction
from plantao.incidents.models import Incident, TimelineEntry
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed

log = structlog.get_logger("plantao.oncall.snooze")

#: The job that ends a snooze; ``engine/handlers.py`` runs it with the urgent timers (it pages).
JOB_KIND = "oncall.snooze_end"
SNOOZED = "incident.snoozed"
ENDED = "incident.snooze_ended"
ACTOR = "plantao"
MIN_MINUTES = 1
MAX_MINUTES = 24 * 60
#: Entries that end (or replace) a snooze in force: a new snooze, its end, any lifecycle move.
_FENCE_KINDS = (SNOOZED, ENDED, *(f"incident.{status.value}" for status in Status))


@dataclass(frozen=True)
class Snooze:
    """A snooze in force: who asked, when, for how long, and the token its job carries."""

    by: str
    at: datetime
    until: datetime
    minutes: int
    token: str


def _latest_fence(session: Session, incident_id: int) -> TimelineEntry | None:
    return session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind.in_(_FENCE_KINDS))
        .order_by(TimelineEntry.id.desc())
        .limit(1)
    ).one_or_none()


def _from_entry(entry: TimelineEntry) -> Snooze | None:
    data = entry.data or {}
    try:
        return Snooze(
            by=entry.actor,
            at=entry.at,
            until=datetime.fromisoformat(str(data["until"])),
            minutes=int(data["minutes"]),
            token=str(data["token"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def current(session: Session, incident: Incident) -> Snooze | None:
    """The snooze in force on ``incident``, if any."""
    if incident.status is not Status.ACKNOWLEDGED:
        return None
    entry = _latest_fence(session, incident.id)
    if entry is None or entry.kind != SNOOZED:
        return None
    return _from_entry(entry)


def snooze(session: Session, incident: Incident, minutes: int, *, actor: str) -> Snooze:
    """Snooze an acknowledged incident (locked by the caller) for ``minutes``; a snooze already
    in force is replaced. Writes the timeline entry and the job in the caller's transaction."""
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValidationFailed(
            f"minutes: snooze for {MIN_MINUTES} to {MAX_MINUTES} minutes, not {minutes}"
        )
    if incident.status is not Status.ACKNOWLEDGED:
        raise Conflict(
            f"{incident.human_id} is {incident.status.value}; only an acknowledged incident "
            "can be snoozed"
        )
    now = clock.now()
    until = now + timedelta(minutes=minutes)
    token = secrets.token_hex(8)
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                SNOOZED,
                actor,
                f"Snoozed for {minutes} min by {actor}",
                {"minutes": minutes, "until": until.isoformat(), "token": token},
            )
        ],
        at=now,
    )
    job_service.enqueue(
        session,
        JOB_KIND,
        {"incident_id": incident.id, "token": token},
        due_at=until,
        dedup_key=f"{JOB_KIND}:{incident.id}:{token}",
    )
    return Snooze(by=actor, at=now, until=until, minutes=minutes, token=token)


def end(session: Session, incident_id: int, token: str) -> str:
    """The job body: end the snooze ``token`` if it is still in force. Returns what happened
    (``ended``, ``stale``) for logs and tests."""
    found = incident_service.get_many(session, [incident_id], for_update=True)
    if not found:
        return "stale"
    incident = found[0]
    entry = _latest_fence(session, incident.id)
    if entry is None or entry.kind != SNOOZED or (entry.data or {}).get("token") != token:
        return "stale"
    if incident.status is not Status.ACKNOWLEDGED:
        return "stale"
    snoozed = _from_entry(entry)
    incident.status = lifecycle.system_transition(incident.status, SystemAction.SNOOZE_END)
    session.flush()
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                ENDED,
                ACTOR,
                "Snooze ended: the incident is triggered again and paging restarts",
                {
                    "from": Status.ACKNOWLEDGED.value,
                    "to": Status.TRIGGERED.value,
                    "minutes": snoozed.minutes if snoozed else None,
                    "by": entry.actor,
                },
            )
        ],
    )
    reactions.status_changed(session, incident, Status.TRIGGERED, ACTOR)
    return "ended"


def end_job(factory: sessionmaker[Session], job: Claimed) -> None:
    """The ``oncall.snooze_end`` handler: one transaction, fenced by the snooze's token."""
    incident_id, token = int(job.payload["incident_id"]), str(job.payload["token"])
    outcome = run_transaction(factory, lambda s: end(s, incident_id, token))
    log.info(JOB_KIND, incident=incident_id, outcome=outcome)
