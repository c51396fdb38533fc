"""Small helpers to drive intake through the real service inside a transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts import service as alert_service
from plantao.alerts.models import Alert
from plantao.alerts.sources import alertmanager, generic, pagerduty
from plantao.db import run_transaction
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, TimelineEntry
from tests.factories.config import integration


def send_am(
    factory: sessionmaker[Session], body: dict[str, Any], slug: str = "am"
) -> alert_service.IntakeResult:
    events, rejected = alertmanager.parse(body)
    assert rejected == []
    return run_transaction(factory, lambda s: alert_service.ingest(s, integration(s, slug), events))


def send_pd(factory: sessionmaker[Session], body: dict[str, Any]) -> alert_service.IntakeResult:
    event = pagerduty.to_alert_event(pagerduty.Event.model_validate(body))
    return run_transaction(
        factory, lambda s: alert_service.ingest(s, integration(s, "pd"), [event])
    )


def send_generic(factory: sessionmaker[Session], body: Any) -> alert_service.IntakeResult:
    events, _ = generic.parse(body)
    return run_transaction(
        factory, lambda s: alert_service.ingest(s, integration(s, "gen"), events)
    )


def count(factory: sessionmaker[Session], model: type[Any], *where: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def incidents(factory: sessionmaker[Session]) -> list[Incident]:
    with factory() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def incident(factory: sessionmaker[Session], ref: str) -> Incident:
    with factory() as session:
        return incident_service.get(session, ref)


def alerts(factory: sessionmaker[Session]) -> list[Alert]:
    with factory() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def timeline_kinds(factory: sessionmaker[Session], incident_id: int) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(
                select(TimelineEntry.kind)
                .where(TimelineEntry.incident_id == incident_id)
                .order_by(TimelineEntry.id)
            )
        )
