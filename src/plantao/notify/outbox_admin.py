"""The outbox seen by an admin: deliveries by state (the dead-letter queue among them), a fresh
attempt budget for a dead one, and the depth per state for ``/metrics``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import wake_engines
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.notify.models import DELIVERY_STATES, Delivery


def list_deliveries(
    session: Session, *, state: str | None = None, incident_id: int | None = None, limit: int = 100
) -> list[Delivery]:
    if state is not None and state not in DELIVERY_STATES:
        raise ValidationFailed(f"state: unknown state {state!r}; use {', '.join(DELIVERY_STATES)}")
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit: must be between 1 and 500")
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Delivery.state == state)
    if incident_id is not None:
        stmt = stmt.where(Delivery.incident_id == incident_id)
    return list(session.scalars(stmt))


def retry_delivery(session: Session, delivery_id: int) -> Delivery:
    """Give a dead delivery a fresh attempt budget, due now."""
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    if delivery.state != "dead":
        raise Conflict(f"delivery {delivery_id} is {delivery.state}; only dead ones are retried")
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.locked_by = None
    delivery.lease_until = None
    delivery.finished_at = None
    delivery.next_attempt_at = clock.now()
    session.flush()
    wake_engines(session)
    return delivery


def depth_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    counts.update({state: int(n) for state, n in rows.tuples()})
    return counts
