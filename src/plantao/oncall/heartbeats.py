"""Heartbeat monitors: a beat is expected every ``interval``; ``grace`` later it is overdue.

A beat moves the deadline and writes an ``oncall.heartbeat`` timer job carrying the monitor's
new fencing token; only the timer of the latest beat can fire. An overdue monitor raises an
alert (identity ``heartbeat:<slug>``) through normal intake, on the monitor's own generic
integration, so routing, grouping, severity and escalation all apply; the next beat sends the
matching resolve. A monitor that never beat is ``waiting`` and raises nothing.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.alerts.schemas import AlertEvent
from plantao.catalog.models import Integration, Service
from plantao.errors import NotFound
from plantao.jobs import service as job_service
from plantao.oncall.models import Heartbeat

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


def _event(session: Session, row: Heartbeat, action: str) -> None:
    integration = session.get(Integration, row.integration_id)
    service = session.get(Service, row.service_id)
    assert integration is not None
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
    alert_service.ingest(session, integration, [event])


def beat(session: Session, key: str) -> Heartbeat:
    """Record a beat (the key authenticates); resolves the alert of an overdue monitor."""
    if not key or len(key) > 64:
        raise NotFound("unknown heartbeat key")
    row = session.scalars(
        select(Heartbeat).where(Heartbeat.key == key).with_for_update()
    ).one_or_none()
    if row is None:
        raise NotFound("unknown heartbeat key")
    now = clock.now()
    if row.state == "overdue":
        _event(session, row, "resolved")
    row.state = "ok"
    row.last_beat_at = now
    row.due_at = now + _deadline(row)
    row.token += 1
    job_service.enqueue(
        session,
        JOB_KIND,
        {"heartbeat_id": row.id, "token": row.token},
        due_at=row.due_at,
        dedup_key=f"{JOB_KIND}:{row.id}:{row.token}",
    )
    session.flush()
    return row


def check(session: Session, heartbeat_id: int, token: int) -> str:
    """The timer body: raise the alert when the monitor is still waiting for that beat."""
    row = session.scalars(
        select(Heartbeat).where(Heartbeat.id == heartbeat_id).with_for_update()
    ).one_or_none()
    if row is None or row.token != token or row.state != "ok":
        return "stale"
    if clock.now() < row.due_at:
        return "early"
    _event(session, row, "firing")
    row.state = "overdue"
    session.flush()
    return "overdue"
