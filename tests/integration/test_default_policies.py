"""Default escalation policies (team, then installation) and incidents that page nobody."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao.catalog.models import Service
from plantao.cli.app import app as cli_app
from plantao.config import get_settings
from plantao.incidents.models import TimelineEntry
from plantao.oncall import default_policies, escalations
from tests.factories.config import STANDARD
from tests.factories.oncall import ONCALL, fire, pages, settle, setup_oncall

#: ONCALL with the checkout service naming no policy of its own.
NO_OWN_POLICY = ONCALL.replace(", escalation_policy: payments", "")
TEAM_DEFAULT = "teams: [{slug: sre, name: SRE, members: [ana], escalation_policy: payments}]\n"
CARLA_POLICY = """  - slug: carla-only
    name: Carla only
    steps:
      - {delay: 0m, targets: [{user: carla}]}
"""


def _unpaged_total() -> float:
    return REGISTRY.get_sample_value("plantao_incidents_unpaged_total") or 0.0


def _nobody(factory: sessionmaker[Session], incident_id: int) -> list[str]:
    with factory() as s:
        return list(
            s.scalars(
                select(TimelineEntry.message)
                .where(
                    TimelineEntry.incident_id == incident_id,
                    TimelineEntry.kind == "paging.nobody",
                )
                .order_by(TimelineEntry.id)
            )
        )


def _service_id(s: Session, slug: str) -> int:
    return s.scalars(select(Service.id).where(Service.slug == slug)).one()


def _policy_of(factory: sessionmaker[Session], incident_id: int) -> str | None:
    with factory() as s:
        esc = escalations.get(s, incident_id)
        return None if esc is None else esc.policy_slug


def test_team_default_pages_when_the_service_has_no_policy(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A service without a policy escalates through its team's default policy."""
    loop = setup_oncall(factory, NO_OWN_POLICY + TEAM_DEFAULT)
    inc = fire(factory)
    settle(loop)
    assert _policy_of(factory, inc) == "payments"
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    assert _nobody(factory, inc) == []


def test_global_default_pages_when_neither_service_nor_team_has_one(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """With no service or team policy, the installation's default escalates."""
    loop = setup_oncall(factory, NO_OWN_POLICY + "defaults: {escalation_policy: payments}\n")
    inc = fire(factory)
    settle(loop)
    assert _policy_of(factory, inc) == "payments"
    assert pages(factory, inc) == [("ana", "step 1 of 3")]


def test_service_policy_beats_team_default_which_beats_global(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Order of precedence: the service's own, then its team's, then the global default."""
    text = ONCALL + CARLA_POLICY + "defaults: {escalation_policy: carla-only}\n"
    setup_oncall(factory, text + TEAM_DEFAULT)
    with factory() as s:
        resolved = default_policies.resolve(s, [_service_id(s, "checkout")])
        assert [r.source for r in resolved.values()] == ["service"]
    setup_oncall(factory, NO_OWN_POLICY + CARLA_POLICY + TEAM_DEFAULT)
    with factory() as s:
        found = default_policies.resolve(s, [_service_id(s, "checkout")])
        assert [(r.source, r.policy.slug if r.policy else None) for r in found.values()] == [
            ("team", "payments")
        ]
    setup_oncall(
        factory, NO_OWN_POLICY + CARLA_POLICY + "defaults: {escalation_policy: carla-only}\n"
    )
    with factory() as s:
        found = default_policies.resolve(s, [_service_id(s, "checkout")])
        assert [(r.source, r.policy.slug if r.policy else None) for r in found.values()] == [
            ("global", "carla-only")
        ]


def test_no_policy_anywhere_says_nobody_was_paged_and_counts_it(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """No policy after fallback: a paging.nobody entry naming each level, and the counter."""
    loop = setup_oncall(factory, NO_OWN_POLICY)
    before = _unpaged_total()
    inc = fire(factory)
    settle(loop)
    assert pages(factory, inc) == []
    assert _nobody(factory, inc) == [
        "Nobody was paged: service 'checkout' has no escalation policy "
        "and neither has team 'sre' nor the installation"
    ]
    assert _unpaged_total() == before + 1
    with factory() as s:
        assert "checkout" in default_policies.unpaged_services(s)


def test_first_step_reaching_nobody_says_nobody_was_paged(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A policy whose first step finds nobody on call also writes paging.nobody and counts."""
    text = ONCALL.replace(
        "      - {delay: 0m, targets: [{schedule: primary}]}",
        "      - {delay: 0m, targets: [{schedule: future}]}",
    )
    loop = setup_oncall(factory, text)
    before = _unpaged_total()
    inc = fire(factory)
    settle(loop)
    assert _nobody(factory, inc) == [
        "Nobody was paged: the first step of escalation policy 'payments' reached nobody "
        "(schedule 'future' has nobody on call)"
    ]
    assert _unpaged_total() == before + 1


def test_apply_warns_about_services_that_page_nobody(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plantao apply`` names each service with no policy after fallback on stderr, and the
    dry run's output lists them too; a global default silences the warning."""
    config = tmp_path / "plantao.yaml"
    config.write_text(STANDARD, encoding="utf-8")
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        dry = CliRunner().invoke(cli_app, ["apply", "-f", str(config), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        warning = "warning: service 'checkout' has no escalation policy"
        assert warning in dry.stdout and warning in dry.stderr
        real = CliRunner().invoke(cli_app, ["apply", "-f", str(config)])
        assert warning in real.stderr and warning not in real.stdout
        covered = (
            STANDARD
            + "escalation_policies: [{slug: sre, name: SRE, steps: [{targets: [{user: ana}]}]}]\n"
            + "defaults: {escalation_policy: sre}\n"
        )
        config.write_text(covered, encoding="utf-8")
        quiet = CliRunner().invoke(cli_app, ["apply", "-f", str(config)])
        assert quiet.exit_code == 0, quiet.output
        assert "warning:" not in quiet.stderr
    finally:
        get_settings.cache_clear()
