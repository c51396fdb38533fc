"""Recording change events so responders can see what changed before an incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Integration
from plantao.changes.models import ChangeEvent


def record(
    session: Session,
    integration: Integration,
    *,
    summary: str,
    source: str | None,
    occurred_at: datetime | None,
    details: dict[str, Any],
) -> ChangeEvent:
    now = clock.now()
    row = ChangeEvent(
        integration_id=integration.id,
        service_id=integration.service_id,
        summary=summary[:1024],
        source=source,
        occurred_at=occurred_at or now,
        received_at=now,
        details=details,
    )
    session.add(row)
    session.flush()
    return row


def recent_for_service(
    session: Session, service_id: int, *, before: datetime, window: timedelta = timedelta(hours=6)
) -> list[ChangeEvent]:
    """Changes on the service shortly before ``before``: the usual first suspect."""
    return list(
        session.scalars(
            select(ChangeEvent)
            .where(
                ChangeEvent.service_id == service_id,
                ChangeEvent.occurred_at >= before - window,
                ChangeEvent.occurred_at <= before + timedelta(minutes=30),
            )
            .order_by(ChangeEvent.occurred_at.desc())
            .limit(20)
        )
    )
