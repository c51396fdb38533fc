"""What the services and heartbeats pages show, read in a few set-based queries.

A person setting up a sender asks: which team owns this service, which escalation policy pages
for it, where do its alerts come in, and did anything arrive lately? The answers live in four
domains (catalog, people, on-call, alerts); this module is the one place that joins them, below
all of them, so the web page stays an entry point that only renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.alerts.models import Alert
from plantao.catalog.models import Integration, Service
from plantao.oncall.models import EscalationPolicy, Heartbeat, ServicePolicy
from plantao.people.models import Team


@dataclass(frozen=True)
class IntegrationView:
    slug: str
    name: str
    kind: str
    key: str
    last_alert_at: datetime | None
    heartbeat: bool


@dataclass(frozen=True)
class ServiceView:
    slug: str
    name: str
    description: str
    team_slug: str | None
    team_name: str | None
    policy_slug: str | None
    policy_name: str | None
    integrations: list[IntegrationView]


@dataclass(frozen=True)
class HeartbeatView:
    slug: str
    name: str
    service_slug: str
    service_name: str
    key: str
    interval_seconds: int
    grace_seconds: int
    state: str
    last_beat_at: datetime | None
    due_at: datetime


def last_alerts(session: Session) -> dict[int, datetime]:
    """When each integration's most recent alert was last seen (integrations with none: absent)."""
    rows = session.execute(
        select(Alert.integration_id, func.max(Alert.last_seen_at)).group_by(Alert.integration_id)
    ).tuples()
    return {integration_id: at for integration_id, at in rows if at is not None}


def services(session: Session) -> list[ServiceView]:
    """Every service, by slug, with its team, policy and integrations (by slug)."""
    rows = session.execute(
        select(Service, Team, EscalationPolicy)
        .outerjoin(Team, Team.id == Service.team_id)
        .outerjoin(ServicePolicy, ServicePolicy.service_id == Service.id)
        .outerjoin(EscalationPolicy, EscalationPolicy.id == ServicePolicy.policy_id)
        .order_by(Service.slug)
    ).tuples()
    integrations: dict[int, list[Integration]] = {}
    for integration in session.scalars(select(Integration).order_by(Integration.slug)):
        integrations.setdefault(integration.service_id, []).append(integration)
    seen = last_alerts(session)
    monitors = set(session.scalars(select(Heartbeat.integration_id)))
    return [
        ServiceView(
            slug=service.slug,
            name=service.name,
            description=service.description or "",
            team_slug=team.slug if team else None,
            team_name=team.name if team else None,
            policy_slug=policy.slug if policy else None,
            policy_name=policy.name if policy else None,
            integrations=[
                IntegrationView(
                    slug=i.slug,
                    name=i.name,
                    kind=i.kind,
                    key=i.key,
                    last_alert_at=seen.get(i.id),
                    heartbeat=i.id in monitors,
                )
                for i in integrations.get(service.id, [])
            ],
        )
        for service, team, policy in rows
    ]


def heartbeats(session: Session) -> list[HeartbeatView]:
    rows = session.execute(
        select(Heartbeat, Service)
        .join(Service, Service.id == Heartbeat.service_id)
        .order_by(Heartbeat.slug)
    ).tuples()
    return [
        HeartbeatView(
            slug=hb.slug,
            name=hb.name,
            service_slug=service.slug,
            service_name=service.name,
            key=hb.key,
            interval_seconds=hb.interval_seconds,
            grace_seconds=hb.grace_seconds,
            state=hb.state,
            last_beat_at=hb.last_beat_at,
            due_at=hb.due_at,
        )
        for hb, service in rows
    ]
