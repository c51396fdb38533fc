"""Which open incidents block a service's releases: the service's own ``gate_settings`` row,
else the installation default row (``service_id`` NULL), else seed 002's ``sev1,sev2``.
``plantao apply`` writes the rows (``release_gate:`` in ``plantao.yaml``)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, nulls_last, or_, select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.postmortems.models import SEVERITIES, GateSetting

DEFAULT = "sev1,sev2"


def parse(text: str) -> frozenset[str]:
    """``"sev1,sev2"`` → the set; unknown words are dropped (the constraint-free column may hold
    what an older version wrote), an empty text blocks on no incident."""
    return frozenset(s.strip() for s in text.split(",") if s.strip() in SEVERITIES)


def of_text(text: str | None) -> frozenset[str]:
    """What :func:`severities_column` read: None (no row at all) is the seed default."""
    return parse(DEFAULT if text is None else text)


def severities_column() -> ColumnElement[str | None]:
    """The same answer as :func:`block_severities`, as a column of a query on ``services``
    (so the gate reads the service and its setting in one round trip)."""
    own = (
        select(GateSetting.block_open_severities)
        .where(GateSetting.service_id == Service.id)
        .scalar_subquery()
    )
    default = (
        select(GateSetting.block_open_severities)
        .where(GateSetting.service_id.is_(None))
        .scalar_subquery()
    )
    return func.coalesce(own, default)


def block_severities(session: Session, service_id: int) -> frozenset[str]:
    """One query: the service's row first, then the default row."""
    text = session.scalar(
        select(GateSetting.block_open_severities)
        .where(or_(GateSetting.service_id == service_id, GateSetting.service_id.is_(None)))
        .order_by(nulls_last(GateSetting.service_id.desc()))
        .limit(1)
    )
    return of_text(text)
