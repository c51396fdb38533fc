"""The outbox seen by an admin: deliveries by state (the dead-letter queue among them), a fresh
attempt budget for a dead one, and the depth per state for ``/metrics``.

A retry is a change made by a person outside any incident timeline, so it lands in the audit
log (who, from where, the delivery's state before and after) in the same transaction."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.db import wake_engines
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import visibility
from plantao.incidents.models import Incident
from plantao.notify.models import DELIVERY_STATES, Delivery
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor

#: States a person may retry: dead (attempts used up) and retrying (failed, waiting for backoff).
RETRYABLE_STATES = ("dead", "retrying")


def list_deliveries(
    session: Session,
    *,
    state: str | None = None,
    incident_id: int | None = None,
    channel: str | None = None,
    user_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
    visible_to: tuple[frozenset[int], int] | None = None,
    hidden_for: int | None = None,
) -> list[Delivery]:
    """Newest first; ``before_id`` pages back (keyset on the id).

    ``visible_to`` = (team ids, user id) limits the list to deliveries of those teams'
    incidents and to the person's own: deliveries carry contact addresses, so a manager of one
    team does not read another team's. ``hidden_for`` (a user id; None for an admin) leaves
    out the deliveries of private incidents that person may not see."""
    if state is not None and state not in DELIVERY_STATES:
        raise ValidationFailed(f"state: unknown state {state!r}; use {', '.join(DELIVERY_STATES)}")
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit: must be between 1 and 500")
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Delivery.state == state)
    if incident_id is not None:
        stmt = stmt.where(Delivery.incident_id == incident_id)
    if channel is not None:
        stmt = stmt.where(Delivery.channel == channel)
    if user_id is not None:
        stmt = stmt.where(Delivery.user_id == user_id)
    if before_id is not None:
        stmt = stmt.where(Delivery.id < before_id)
    if visible_to is not None:
        team_ids, own_id = visible_to
        of_teams = (
            select(Incident.id)
            .join(Service, Service.id == Incident.service_id)
            .where(Service.team_id.in_(sorted(team_ids)))
        )
        stmt = stmt.where((Delivery.user_id == own_id) | Delivery.incident_id.in_(of_teams))
    if hidden_for is not None:
        hidden = visibility.hidden_from(hidden_for)
        stmt = stmt.where(Delivery.incident_id.is_(None) | Delivery.incident_id.not_in(hidden))
    return list(session.scalars(stmt))


def get(session: Session, delivery_id: int) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    return delivery


def team_of(session: Session, delivery: Delivery) -> int | None:
    """The team owning the paged incident's service: retrying is managing that team's paging
    (None for a delivery of no incident or of a service without a team)."""
    if delivery.incident_id is None:
        return None
    return session.scalar(
        select(Service.team_id)
        .join(Incident, Incident.service_id == Service.id)
        .where(Incident.id == delivery.incident_id)
    )


def channels(session: Session) -> list[str]:
    """The channels deliveries went through, for a filter's choices."""
    return sorted(session.scalars(select(Delivery.channel).distinct()))


def _audited(delivery: Delivery) -> dict[str, object]:
    return {
        "state": delivery.state,
        "attempts": delivery.attempts,
        "channel": delivery.channel,
        "incident": delivery.incident_ref,
        "user_id": delivery.user_id,
        "next_attempt_at": delivery.next_attempt_at,
        "last_error": (delivery.last_error or "")[:500] or None,
    }


def retry_delivery(session: Session, delivery_id: int, *, actor: AuditActor = SYSTEM) -> Delivery:
    """Give a dead (or backing-off) delivery a fresh attempt budget, due now; audited."""
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    if delivery.state not in RETRYABLE_STATES:
        raise Conflict(
            f"delivery {delivery_id} is {delivery.state}; only dead or retrying ones are retried"
        )
    before = _audited(delivery)
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.locked_by = None
    delivery.lease_until = None
    delivery.finished_at = None
    delivery.next_attempt_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor,
        "delivery.retry",
        "delivery",
        delivery.id,
        before=before,
        after=_audited(delivery),
    )
    wake_engines(session)
    return delivery


def depth_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    counts.update({state: int(n) for state, n in rows.tuples()})
    return counts
