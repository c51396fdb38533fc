"""On-call setup for tests: responders, schedules and an escalation policy declared in
plantao.yaml and applied through the real apply service, and the engine's on-call timers run
with the clock the test advances.

The documents are composed from ``responders`` so every test pages the same people on the same
service; a test adds the schedules and policy its case needs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.oncall import service as oncall_service
from tests.factories.config import apply_config, apply_standard
from tests.integration.helpers import incidents, send_generic

ANA = "{handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}"


def responders(policy: str) -> str:
    """Four people (ana, bruno, carla, dora) and the checkout service paged by ``policy``."""
    return f"""
users:
  - {ANA}
  - {{handle: bruno, name: Bruno}}
  - {{handle: carla, name: Carla}}
  - {{handle: dora, name: Dora}}
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: {policy}}}
"""


# 2026-11-22 12:00 UTC (the frozen start) is Sunday 09:00 in São Paulo: ana's week.
ONCALL = (
    responders("payments")
    + """schedules:
  - slug: primary
    name: Primary
    time_zone: America/Sao_Paulo
    layers:
      - name: weekly
        rotation: {type: weekly, handoff: "09:00", start: 2026-11-16, participants: [ana, bruno]}
  - slug: secondary
    name: Secondary
    time_zone: America/Sao_Paulo
    layers:
      - {name: daily, rotation: {type: daily, start: 2026-11-01, participants: [bruno]}}
  - slug: future
    name: Not started
    layers:
      - {name: x, rotation: {type: daily, start: 2027-06-01, participants: [dora]}}
escalation_policies:
  - slug: payments
    name: Payments
    repeat: 1
    steps:
      - {delay: 0m, targets: [{schedule: primary}]}
      - {delay: 5m, targets: [{schedule: secondary}]}
      - {delay: 30m, targets: [{user: carla}]}
    fallback: [{user: dora}]
"""
)


def ana_mailed_after(delay: str, text: str = ONCALL) -> str:
    """``text`` with ana reached by e-mail, her notification rule due ``delay`` after a page."""
    mailed = (
        "{handle: ana, name: Ana, contact_methods: [{name: mail, type: email, "
        "address: ana@example.com}], notification_rules: [{contact: mail, after: " + delay + "}]}"
    )
    assert ANA in text, "the document does not declare ana through responders()"
    return text.replace(ANA, mailed)


def oncall_loop(factory: sessionmaker[Session], **kwargs: Any) -> EngineLoop:
    """An engine loop that runs only the on-call timers (the urgent job kinds: escalation steps
    and heartbeats)."""
    kinds = {name: kind for name, kind in registry().items() if kind.urgent}
    return EngineLoop(factory, kinds, **kwargs)


def setup_oncall(factory: sessionmaker[Session], text: str = ONCALL) -> EngineLoop:
    """The standard configuration plus ``text``; the loop that runs the on-call timers."""
    apply_standard(factory)
    apply_config(factory, text)
    return oncall_loop(factory)


def settle(loop: EngineLoop) -> None:
    """Run cycles until one does nothing: everything due at the frozen time has run."""
    for _ in range(20):
        if loop.run_once() == 0:
            return
    raise AssertionError("the engine did not settle")


def fire(factory: sessionmaker[Session], severity: str = "critical", name: str = "Down") -> int:
    """A generic alert on checkout through the inbox; the id of the incident it lands in."""
    send_generic(
        factory,
        {
            "title": f"{name} on checkout",
            "dedup_key": name,
            "severity": severity,
            "labels": {"service": "checkout", "alertname": name},
        },
    )
    return incidents(factory)[-1].id


def pages(factory: sessionmaker[Session], incident_id: int) -> list[tuple[str, str]]:
    """Who was paged for the incident, with the step label, in order."""
    with factory() as s:
        return [(user, label) for _, label, user, _, _ in oncall_service.pages(s, incident_id)]


def act(factory: sessionmaker[Session], incident_id: int, action: Action) -> None:
    """ana acts on the incident (acknowledge, resolve, reopen) in her own transaction."""

    def work(s: Session) -> None:
        incident = incident_service.get(s, incident_id, for_update=True)
        incident_service.act(s, incident, action, actor="ana")

    run_transaction(factory, work)
