"""A scripted incident history for KPI tests: rows written with exact timestamps.

Why not through intake: KPI tests check arithmetic on known durations (acknowledged 3 minutes
after triggering, resolved 50 minutes after...). Driving the engine to produce those exact
moments would hide the figures behind clock juggling; KPIs only read rows, so the history is
written as rows, after the configuration (teams, services) is applied the real way.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.catalog.models import Integration, Service
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from tests.factories.config import apply_config

#: Two teams: ``sre`` owns checkout and orders, ``web`` owns site.
CONFIG = """
version: 1
teams:
  - {slug: sre, name: SRE, members: [ana]}
  - {slug: web, name: Web, members: [bia]}
users:
  - {handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}
  - {handle: bia, name: Bia, email: bia@example.com, time_zone: Europe/Lisbon}
services:
  - {slug: checkout, name: Checkout, team: sre}
  - {slug: orders, name: Orders, team: sre}
  - {slug: site, name: Site, team: web}
integrations:
  - {slug: am, name: AM, kind: alertmanager, service: checkout, key: am-key-0123456789abcdef}
"""

_numbers = count(1)


def apply_history_config(factory: sessionmaker[Session], extra: str = "") -> None:
    """Apply :data:`CONFIG` (plus ``extra`` YAML, e.g. a ``severity_matrix``)."""
    apply_config(factory, CONFIG + extra)


def service_id(session: Session, slug: str) -> int:
    return session.scalars(select(Service.id).where(Service.slug == slug)).one()


def add_incident(
    session: Session,
    service: str,
    severity: str,
    triggered: datetime,
    *,
    ack: float | None = None,
    mitigated: float | None = None,
    resolved: float | None = None,
    private: bool = False,
    title: str | None = None,
) -> Incident:
    """One incident; ``ack``/``mitigated``/``resolved`` are minutes after ``triggered``."""

    def at(minutes: float | None) -> datetime | None:
        return None if minutes is None else triggered + timedelta(minutes=minutes)

    status = (
        Status.RESOLVED
        if resolved is not None
        else Status.MITIGATED
        if mitigated is not None
        else Status.ACKNOWLEDGED
        if ack is not None
        else Status.TRIGGERED
    )
    number = next(_numbers)
    incident = Incident(
        human_id=f"INC-KPI-{number}",
        title=title or f"scripted incident {number}",
        status=status,
        severity=severity,
        service_id=service_id(session, service),
        group_key=f"kpi-{number}",
        detected_at=triggered,
        triggered_at=triggered,
        acknowledged_at=at(ack),
        mitigated_at=at(mitigated),
        resolved_at=at(resolved),
        closed_at=None,
        last_alert_at=triggered,
        created_by="test",
        private=private,
    )
    session.add(incident)
    session.flush()
    return incident


def add_alert(
    session: Session, incident: Incident, starts_at: datetime, name: str = "HighErrorRate"
) -> Alert:
    """One alert of ``incident`` that started at ``starts_at`` (received at triggering)."""
    integration_id = session.scalars(select(Integration.id).where(Integration.slug == "am")).one()
    labels: dict[str, Any] = {"alertname": name}
    alert = Alert(
        integration_id=integration_id,
        service_id=incident.service_id,
        incident_id=incident.id,
        identity=f"{name}-{incident.id}-{starts_at.isoformat()}",
        source="alertmanager",
        status="firing",
        summary=name,
        severity=incident.severity,
        labels=labels,
        annotations={},
        details={},
        content_hash="0" * 32,
        starts_at=starts_at,
        ends_at=None,
        first_seen_at=incident.triggered_at,
        last_seen_at=incident.triggered_at,
        resolved_at=None,
    )
    session.add(alert)
    session.flush()
    return alert
