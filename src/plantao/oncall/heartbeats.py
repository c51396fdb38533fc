"""Heartbeat monitors: a beat is expected every ``interval``; ``grace`` later it is overdue.

A beat and a passed deadline are signals like any alert: both are stored in the intake inbox
(source ``heartbeat``, on the monitor's own generic integration) and applied by the engine in
arrival order with every other entry, so a beat that arrived before the deadline was noticed
always wins, and the alerts they raise or resolve are applied in their place in line.

Applying a beat moves the deadline and writes an ``oncall.heartbeat`` timer job carrying the
monitor's new fencing token; only the timer of the latest beat can fire. The timer stores a
deadline record with that token; applying it, if no beat has moved the token since, marks the
monitor overdue and raises its alert (identity ``heartbeat:<slug>``), so routing, grouping,
severity and escalation all apply; the next beat raises the matching resolve. A monitor that
never beat is ``waiting`` and raises nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts.schemas import AlertEvent
from plantao.catalog.models import Service
from plantao.errors import NotFound
from plantao.intake import inbox
from plantao.jobs import service as job_service
from plantao.oncall.models import Heartbeat

#: The job kind of heartbeat deadlines, named here only; ``engine/handlers.py`` runs it, urgent.
JOB_KIND = "oncall.heartbeat"


def new_key() -> str:
    return secrets.token_hex(16)


def _deadline(row: Heartbeat) -> timedelta:
    return timedelta(seconds=row.interval_seconds + row.grace_seconds)


def put(
    session: Session,
    *,
    slug: str,
    name: str,
    service_id: int,
    integration_id: int,
    interval_seconds: int,
    grace_seconds: int,
    key: str | None,
) -> str:
    row = session.scalars(select(Heartbeat).where(Heartbeat.slug == slug)).one_or_none()
    values: dict[str, Any] = {
        "name": name,
        "service_id": service_id,
        "integration_id": integration_id,
        "interval_seconds": interval_seconds,
        "grace_seconds": grace_seconds,
    }
    if key:
        values["key"] = key
    if row is None:
        values.setdefault("key", new_key())
        session.add(
            Heartbeat(
                slug=slug, state="waiting", token=0, last_beat_at=None, due_at=clock.now(), **values
            )
        )
        session.flush()
        return "create"
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for k in changed:
        setattr(row, k, values[k])
    session.flush()
    return "update" if changed else "keep"


def by_slug(session: Session, slug: str) -> Heartbeat:
    row = session.scalars(select(Heartbeat).where(Heartbeat.slug == slug)).one_or_none()
    if row is None:
        raise NotFound(f"heartbeat '{slug}' does not exist")
    return row


def list_heartbeats(session: Session) -> list[Heartbeat]:
    return list(session.scalars(select(Heartbeat).order_by(Heartbeat.slug)))


def integration_ids(session: Session) -> set[int]:
    return set(session.scalars(select(Heartbeat.integration_id)))


@dataclass(frozen=True)
class Beat:
    """The answer to a beat, as the monitor will stand once the engine applies it."""

    slug: str
    state: str
    last_beat_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class Raised:
    """An alert event a monitor raises or resolves, for the integration it belongs to."""

    integration_id: int
    event: AlertEvent


def _event(session: Session, row: Heartbeat, action: str) -> Raised:
    service = session.get(Service, row.service_id)
    assert service is not None
    since = row.last_beat_at.isoformat() if row.last_beat_at else "never"
    event = AlertEvent(
        identity=f"heartbeat:{row.slug}",
        action="firing" if action == "firing" else "resolved",
        summary=f"Heartbeat '{row.name}' stopped: no beat since {since}",
        source="generic",
        labels={"alertname": "HeartbeatMissed", "heartbeat": row.slug, "service": service.slug},
        annotations={"summary": f"Heartbeat monitor '{row.name}' stopped"},
    )
    return Raised(row.integration_id, event)


def beat(session: Session, key: str) -> Beat:
    """Accept a beat (the key authenticates) into the inbox; the caller commits, then answers.

    The answer is what applying the beat will make of the monitor: ``ok``, due one interval
    plus grace after this beat.
    """
    if not key or len(key) > 64:
        raise NotFound("unknown heartbeat key")
    row = session.scalars(select(Heartbeat).where(Heartbeat.key == key)).one_or_none()
    if row is None:
        raise NotFound("unknown heartbeat key")
    now = clock.now()
    inbox.add(
        session,
        integration_id=row.integration_id,
        source=inbox.HEARTBEAT,
        records=[{"heartbeat": row.id, "beat_at": now.isoformat()}],
    )
    return Beat(slug=row.slug, state="ok", last_beat_at=now, due_at=now + _deadline(row))


def check(session: Session, heartbeat_id: int, token: int) -> str:
    """The timer body: when the monitor still waits for that beat, store its deadline record.

    The monitor turns overdue only when the record is applied, after every beat that arrived
    before it: a beat still in the inbox moves the token and makes the record stale.
    """
    row = session.scalars(
        select(Heartbeat).where(Heartbeat.id == heartbeat_id).with_for_update()
    ).one_or_none()
    if row is None or row.token != token or row.state != "ok":
        return "stale"
    if clock.now() < row.due_at:
        return "early"
    inbox.add(
        session,
        integration_id=row.integration_id,
        source=inbox.HEARTBEAT,
        records=[{"heartbeat": row.id, "overdue": token}],
    )
    return "overdue"


def apply(session: Session, record: dict[str, Any]) -> Raised | None:
    """Apply one stored heartbeat record (the engine's inbox step calls this in id order); the
    alert event it raises or resolves, if any, for the caller to apply in its place in line.

    A malformed record raises ValueError, so its entry is set aside as failed.
    """
    heartbeat_id = record.get("heartbeat")
    if not isinstance(heartbeat_id, int):
        raise ValueError("stored heartbeat record names no monitor")
    row = session.scalars(
        select(Heartbeat).where(Heartbeat.id == heartbeat_id).with_for_update()
    ).one_or_none()
    beat_at, overdue = record.get("beat_at"), record.get("overdue")
    if isinstance(beat_at, str):
        at = datetime.fromisoformat(beat_at)
        return _apply_beat(session, row, at) if row is not None else None
    if isinstance(overdue, int):
        return _apply_deadline(session, row, overdue) if row is not None else None
    raise ValueError("stored heartbeat record is neither a beat nor a deadline")


def _apply_beat(session: Session, row: Heartbeat, at: datetime) -> Raised | None:
    """Record the beat and schedule its timer; resolve the alert of an overdue monitor."""
    raised = _event(session, row, "resolved") if row.state == "overdue" else None
    row.state = "ok"
    row.last_beat_at = at
    row.due_at = at + _deadline(row)
    row.token += 1
    job_service.enqueue(
        session,
        JOB_KIND,
        {"heartbeat_id": row.id, "token": row.token},
        due_at=row.due_at,
        dedup_key=f"{JOB_KIND}:{row.id}:{row.token}",
    )
    session.flush()
    return raised


def _apply_deadline(session: Session, row: Heartbeat, token: int) -> Raised | None:
    """Raise the alert, unless a beat applied since the timer fired moved the token."""
    if row.token != token or row.state != "ok":
        return None
    raised = _event(session, row, "firing")
    row.state = "overdue"
    session.flush()
    return raised
