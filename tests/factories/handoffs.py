"""Shift handoff scenario: a daily Lisbon rotation across the March 2027 DST change, the
checkout service paged through it, and a scripted shift of incidents.

Europe/Lisbon moves from UTC+0 to UTC+1 at 2027-03-28 01:00 UTC, so the 09:00 local hand-over
is 09:00 UTC on the 27th and 08:00 UTC on the 28th. The rotation starts on 2027-03-20 with
[ana, bruno]: bruno has the 27th (09:00 UTC) until the 28th (08:00 UTC), then ana.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.auth.principal import Principal
from plantao.auth.service import principal_of
from plantao.catalog.models import Service
from plantao.command import updates
from plantao.command.update_schemas import StatusUpdateIn
from plantao.db import run_transaction
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.oncall import handoff_generation
from plantao.oncall.handoff_boundaries import Boundary
from plantao.oncall.handoff_models import Handoff
from plantao.oncall.handoff_settings import HandoffSettings
from plantao.oncall.models import OncallSchedule
from plantao.people.models import User
from tests.factories.config import apply_config, apply_standard
from tests.factories.notify import WEBHOOK_SECRET

BEFORE_DST = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
AFTER_DST = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)

_DOC = """
teams:
  - slug: sre
    name: SRE
    members: [ana, bruno]
    stakeholders:
      - {{name: sre-chat, kind: webhook, address: '{webhook}', secret: {secret}, language: pt-BR}}
users:
  - handle: ana
    name: Ana
    email: ana@example.com
    language: pt-BR
    contact_methods: [{{name: mail, type: email, address: ana@example.com}}]
    notification_rules: [{{contact: mail, after: 0m}}]
    throttle: {{limit: 100, window: 15m}}
  - {{handle: bruno, name: Bruno, email: bruno@example.com}}
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: lisbon-first}}
schedules:
  - slug: lisbon
    name: Lisbon primary
    time_zone: Europe/Lisbon
    layers:
      - name: daily
        rotation: {{type: daily, handoff: "09:00", start: 2027-03-20, participants: [ana, bruno]}}
escalation_policies:
  - slug: lisbon-first
    name: Lisbon first
    steps:
      - {{delay: 0m, targets: [{{schedule: lisbon}}]}}
"""


def setup_handoffs(
    factory: sessionmaker[Session], webhook: str = "https://chat.example.com/hooks/sre"
) -> None:
    """The standard configuration plus the Lisbon schedule, its service and team channel."""
    apply_standard(factory)
    apply_config(factory, _DOC.format(webhook=webhook, secret=WEBHOOK_SECRET))


def open_incident(factory: sessionmaker[Session], title: str, severity: str, at: datetime) -> int:
    """An incident on checkout triggered at ``at`` (the clock is frozen there)."""
    clock.freeze(at)

    def work(s: Session) -> int:
        service_id = s.scalars(select(Service.id).where(Service.slug == "checkout")).one()
        incident = incident_service.open_incident(
            s,
            title=title,
            severity_name=severity,
            service_id=service_id,
            route_id=None,
            group_key=f"handoff-{title}",
            group_window_seconds=3600,
            auto_resolve=True,
            detected_at=at,
            actor="test",
        )
        return incident.id

    return run_transaction(factory, work)


def act(factory: sessionmaker[Session], incident_id: int, action: Action, at: datetime) -> None:
    clock.freeze(at)
    run_transaction(
        factory,
        lambda s: incident_service.act(
            s, incident_service.get(s, incident_id), action, actor="bruno"
        ),
    )


def resolve_with(factory: sessionmaker[Session], incident_id: int, fix: str, at: datetime) -> None:
    """Resolve the incident and post its resolution update saying how it was fixed."""
    act(factory, incident_id, Action.RESOLVE, at)
    data = StatusUpdateIn.model_validate(
        {
            "status": "resolved",
            "impact": "Checkout errors for some customers",
            "resolution": {
                "root_cause": "a bad release",
                "fix": fix,
                "monitoring": "next 2 hours",
                "postmortem_at": (at + timedelta(days=2)).isoformat(),
            },
        }
    )
    run_transaction(
        factory,
        lambda s: updates.post(s, incident_service.get(s, incident_id), data, actor="bruno"),
    )


def script_shift(factory: sessionmaker[Session]) -> dict[str, int]:
    """bruno's shift (27th 09:00 UTC → 28th 08:00 UTC): one incident before it (not listed),
    one resolved in it, one still open at its end."""
    before = open_incident(factory, "Old disk alarm", "sev4", BEFORE_DST - timedelta(hours=5))
    act(factory, before, Action.RESOLVE, BEFORE_DST - timedelta(hours=4))
    spike = open_incident(factory, "Error rate spike", "sev2", BEFORE_DST + timedelta(hours=5))
    resolve_with(factory, spike, "rolled back release 4.2", BEFORE_DST + timedelta(hours=6))
    latency = open_incident(factory, "Payments latency", "sev3", AFTER_DST - timedelta(hours=5))
    act(factory, latency, Action.ACKNOWLEDGE, AFTER_DST - timedelta(hours=4))
    return {"before": before, "spike": spike, "latency": latency}


def principal(session: Session, handle: str) -> Principal:
    """The person ``handle`` as the API sees them (roles from their memberships)."""
    user = session.scalars(select(User).where(User.handle == handle)).one()
    return principal_of(session, user, via="test")


def draft_at(
    factory: sessionmaker[Session],
    slug: str,
    at: datetime,
    outgoing: tuple[str, ...] = ("ana",),
    incoming: tuple[str, ...] = ("bruno",),
) -> int:
    """The draft handoff of schedule ``slug`` at ``at``, made once; its id."""

    def work(s: Session) -> int:
        row = s.scalars(select(OncallSchedule).where(OncallSchedule.slug == slug)).one()
        boundary = Boundary(at, outgoing, incoming)
        handoff_generation.draft(s, row, boundary, HandoffSettings(), clock.now())
        return s.scalars(
            select(Handoff.id).where(Handoff.schedule_id == row.id, Handoff.handoff_at == at)
        ).one()

    return run_transaction(factory, work)


def matrix_handoff(world: Any, _caller: str) -> str:
    """For the RBAC matrix: a draft of its ``primary`` schedule (ana outgoing, no caller)."""
    return str(draft_at(world.factory, "primary", datetime(2030, 1, 7, 9, 0, tzinfo=UTC)))
