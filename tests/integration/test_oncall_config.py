"""plantao.yaml on-call sections: path-named errors, idempotent apply, heartbeat monitors."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.alerts.models import Alert
from plantao.configfile.schema import ConfigError, load_text
from plantao.db import run_transaction
from plantao.oncall import service as oncall_service
from tests.factories.config import STANDARD, apply_config, apply_standard
from tests.factories.inbox import drain
from tests.factories.oncall import oncall_loop
from tests.integration.helpers import incidents

HEARTBEAT = """
services: [{slug: checkout, name: Checkout, team: sre}]
heartbeats:
  - {slug: rollout-monitor, name: Rollout monitor, service: checkout, interval: 5m, grace: 1m,
     key: hb-key-0123456789abcdef}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_text(text)
    return caught.value.problems


def test_errors_name_their_path() -> None:
    """Each invalid on-call field is reported with its path in the file."""
    problems = _problems(
        """
users: [{handle: ana, name: Ana, contact_methods: [{name: m, type: pigeon, address: x}],
         notification_rules: [{contact: nope}]}]
services: [{slug: s, name: S, escalation_policy: ghost}]
schedules:
  - slug: p
    name: P
    time_zone: Mars/Olympus
    layers:
      - name: w
        rotation: {type: weekly, handoff: "9h", start: 2026-11-02, participants: [zed]}
escalation_policies:
  - {slug: x, name: X, steps: [{delay: soon, targets: [{schedule: nope}]}]}
maintenance_windows:
  - {name: w, start: 2026-12-01T02:00:00Z, services: [s], matchers: ['job=>"x"']}
heartbeats: [{slug: h, name: H, service: ghost, interval: 1s}]
working_hours: {start: "18:00", end: "09:00"}
"""
    )
    text = "\n".join(problems)
    for expected in (
        "users[0].contact_methods[0].type:",
        "schedules[0].time_zone: unknown time zone 'Mars/Olympus'",
        "schedules[0].layers[0].rotation.handoff: '9h' is not a time of day",
        "escalation_policies[0].steps[0].delay: 'soon' is not a duration",
        "maintenance_windows[0].matchers[0]:",
        "heartbeats[0].interval: must be at least 10s",
        "working_hours: end: working hours must end after they start",
    ):
        assert expected in text, (expected, problems)


def test_reference_errors_name_their_path() -> None:
    """Unknown users, schedules, policies and services are reported where they are named."""
    problems = _problems(
        """
users: [{handle: ana, name: Ana, contact_methods: [{name: m, type: email, address: a@example.com}],
         notification_rules: [{contact: nope}]}]
services: [{slug: s, name: S, escalation_policy: ghost}]
schedules:
  - {slug: p, name: P, layers: [{name: w, rotation: {type: daily, start: 2026-11-02,
     participants: [ana, zed]}}]}
escalation_policies:
  - {slug: x, name: X, steps: [{targets: [{schedule: nope}, {user: bob}]}], fallback: [{user: q}]}
maintenance_windows:
  - {name: w, start: 2026-12-01T02:00:00Z, end: 2026-12-01T04:00:00Z, services: [t]}
heartbeats: [{slug: h, name: H, service: ghost, interval: 1m}]
"""
    )
    assert problems == [
        "schedules[0].layers[0].rotation.participants[1]: unknown user 'zed'",
        "escalation_policies[0].steps[0].targets[0].schedule: unknown schedule 'nope'",
        "escalation_policies[0].steps[0].targets[1].user: unknown user 'bob'",
        "escalation_policies[0].fallback[0].user: unknown user 'q'",
        "services[0].escalation_policy: unknown escalation policy 'ghost'",
        "heartbeats[0].service: unknown service 'ghost'",
        "maintenance_windows[0].services[0]: unknown service 't'",
        "users[0].notification_rules[0].contact: unknown contact method 'nope'",
    ]


def test_example_config_applies_idempotently(factory: sessionmaker[Session]) -> None:
    """examples/plantao.yaml applies, and a second apply changes nothing."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "examples" / "plantao.yaml").read_text()
    first = apply_config(factory, text)
    second = apply_config(factory, text)
    assert any(c.kind == "schedule" for c in first)
    assert [str(c) for c in second if c.action != "keep"] == []


def test_heartbeat_overdue_opens_an_alert_and_next_beat_resolves_it(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """No beat within interval + grace raises heartbeat:<slug>; the next beat resolves it."""
    apply_standard(factory)
    apply_config(factory, HEARTBEAT)
    loop = oncall_loop(factory)
    key = "hb-key-0123456789abcdef"
    run_transaction(factory, lambda s: oncall_service.beat(s, key))
    drain(factory)
    clock.advance(timedelta(minutes=5))
    run_transaction(factory, lambda s: oncall_service.beat(s, key))
    drain(factory)
    clock.advance(timedelta(minutes=5, seconds=59))
    loop.run_once()
    drain(factory)
    assert incidents(factory) == []
    clock.advance(timedelta(seconds=1))
    loop.run_once()  # the timer stores the deadline in the inbox
    drain(factory)
    [incident] = incidents(factory)
    with factory() as s:
        alert = s.scalars(select(Alert)).one()
    assert alert.identity == "heartbeat:rollout-monitor" and alert.status == "firing"
    assert incident.status == "triggered"
    run_transaction(factory, lambda s: oncall_service.beat(s, key))
    drain(factory)
    with factory() as s:
        alert = s.scalars(select(Alert)).one()
        assert oncall_service.heartbeats.by_slug(s, "rollout-monitor").state == "ok"
    assert alert.status == "resolved"
    assert incidents(factory)[0].status == "resolved"


def test_prune_keeps_heartbeat_integrations(factory: sessionmaker[Session]) -> None:
    """--prune does not delete the generic integration a heartbeat monitor raises alerts on."""
    text = STANDARD + HEARTBEAT.split("\n", 2)[2]
    apply_config(factory, text)
    changes = apply_config(factory, text, prune=True)
    assert "heartbeat-rollout-monitor" not in {c.name for c in changes}
