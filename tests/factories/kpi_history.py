"""A scripted incident history for KPI tests: rows written with exact timestamps.

Why not through intake: KPI tests check arithmetic on known durations (acknowledged 3 minutes
after triggering, resolved 50 minutes after...). Driving the engine to produce those exact
moments would hide the figures behind clock juggling; KPIs only read rows, so the history is
written as rows, after the configuration (teams, services) is applied the real way.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.catalog.models import Integration, Service
from plantao.changes.models import ChangeEvent
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.postmortems.models import CorrectiveAction, Postmortem
from plantao.runbooks.models import RunbookLink
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


def add_postmortem(
    session: Session,
    incident: Incident,
    *,
    due_at: datetime | None,
    published_at: datetime | None = None,
    root_cause: str | None = None,
    cause_change_id: int | None = None,
) -> Postmortem:
    """The incident's postmortem, published at ``published_at`` (draft when None)."""
    row = Postmortem(
        incident_id=incident.id,
        status="published" if published_at else "draft",
        required=True,
        due_at=due_at,
        language="en",
        markdown="",
        version=0,
        root_cause=root_cause,
        cause_change_id=cause_change_id,
        created_by="test",
        created_at=incident.triggered_at,
        updated_at=published_at or incident.triggered_at,
        published_at=published_at,
        published_by="test" if published_at else None,
    )
    session.add(row)
    session.flush()
    return row


def add_action(
    session: Session,
    postmortem: Postmortem,
    incident: Incident,
    due: date,
    *,
    status: str = "open",
    done_at: datetime | None = None,
) -> CorrectiveAction:
    """A corrective action of the postmortem, with the incident's service and severity."""
    row = CorrectiveAction(
        postmortem_id=postmortem.id,
        incident_id=incident.id,
        service_id=incident.service_id,
        title="do the thing",
        due_date=due,
        severity=incident.severity,
        kind="quick_fix",
        must_fix=False,
        status=status,
        reason="not worth it" if status == "wont_do" else None,
        created_by="test",
        created_at=incident.triggered_at,
        updated_at=done_at or incident.triggered_at,
        done_at=done_at,
    )
    session.add(row)
    session.flush()
    return row


def add_change(
    session: Session,
    service: str,
    occurred_at: datetime,
    summary: str = "deploy",
    details: dict[str, Any] | None = None,
) -> ChangeEvent:
    """A change event of ``service`` (through the ``am`` integration)."""
    integration_id = session.scalars(select(Integration.id).where(Integration.slug == "am")).one()
    row = ChangeEvent(
        integration_id=integration_id,
        service_id=service_id(session, service),
        summary=summary,
        source="ci",
        occurred_at=occurred_at,
        received_at=occurred_at,
        details=details or {},
    )
    session.add(row)
    session.flush()
    return row


def add_runbook_link(
    session: Session,
    incident: Incident,
    ref: str,
    source: str,
    *,
    confirmed_at: datetime | None = None,
) -> RunbookLink:
    """A runbook link of ``source`` (annotation/matcher/suggestion/manual), maybe confirmed."""
    row = RunbookLink(
        incident_id=incident.id,
        ref=ref,
        runbook_id=ref,
        lang="en",
        version="1",
        title=f"Runbook {ref}",
        source=source,
        score=0.5 if source == "suggestion" else None,
        why="test",
        url=None,
        created_at=incident.triggered_at,
        confirmed_at=confirmed_at,
        confirmed_by="ana" if confirmed_at else None,
        confirmed_version="1" if confirmed_at else None,
    )
    session.add(row)
    session.flush()
    return row
