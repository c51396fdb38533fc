"""Recording change events so responders can see what changed before an incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.service import IntegrationLike
from plantao.changes.models import ChangeEvent
from plantao.changes.schemas import ChangeIn


def record(
    session: Session, integration: IntegrationLike, change: ChangeIn, *, received_at: datetime
) -> ChangeEvent:
    """Store a change on the integration's service; ``received_at`` is when intake accepted it,
    the time a change without its own timestamp is shown at."""
    row = ChangeEvent(
        integration_id=integration.id,
        service_id=integration.service_id,
        summary=change.summary[:1024],
        source=change.source,
        occurred_at=change.occurred_at or received_at,
        received_at=received_at,
        details=change.details,
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
