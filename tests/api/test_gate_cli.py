"""``plantao gate`` on the local database: the exit code a pipeline reads for each answer, the
reasons it prints, overrides and the decision log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from plantao.catalog.models import Service
from plantao.cli.app import app
from plantao.cli.gate import reason_line
from plantao.config import get_settings
from plantao.db import session_scope
from tests.api.conftest import Api
from tests.factories.gate import add_action, declare, past_override, set_status


@pytest.fixture
def cli(api: Api, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose commands use the test database (no server URL in the environment)."""
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    monkeypatch.delenv("PLANTAO_URL", raising=False)
    monkeypatch.delenv("PLANTAO_GATE_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        yield CliRunner()
    finally:
        get_settings.cache_clear()


def check(cli: CliRunner, *extra: str) -> Result:
    return cli.invoke(app, ["gate", "check", "--service", "checkout", *extra])


def test_no_actions_exits_0(api: Api, cli: CliRunner) -> None:
    """Nothing open: ``allowed`` and exit 0."""
    res = check(cli)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == "allowed"


def test_open_must_fix_exits_1_with_reasons(api: Api, cli: CliRunner) -> None:
    """An open must-fix action: exit 1, one line naming action, incident, title, owner, due."""
    ref = declare(api.client, api.tokens["admin"])
    action = add_action(api.factory, ref, title="Add a retry budget")
    res = check(cli)
    assert res.exit_code == 1, res.output
    assert f'{action} {ref} "Add a retry budget" owner=@ana due=2026-12-10' in res.stdout


def test_done_must_fix_exits_0(api: Api, cli: CliRunner) -> None:
    """A done must-fix action no longer blocks."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref, status="done")
    assert check(cli).exit_code == 0


def test_override_then_revoke(api: Api, cli: CliRunner) -> None:
    """An override lets the release through (exit 0, saying so); revoked, it blocks again."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref)
    made = cli.invoke(
        app,
        ["gate", "override", "--service", "checkout", "--reason", "hotfix", "--expires", "2h"],
    )
    assert made.exit_code == 0, made.output
    number = made.stdout.split()[1].lstrip("#")
    res = check(cli)
    assert res.exit_code == 0, res.output
    assert "override #" in res.stdout and "overridden: AC-" in res.stdout
    assert cli.invoke(app, ["gate", "revoke", number]).exit_code == 0
    assert check(cli).exit_code == 1


def test_expired_override_exits_1(api: Api, cli: CliRunner) -> None:
    """An override that has expired lets nothing through: exit 1."""
    ref = declare(api.client, api.tokens["admin"])
    add_action(api.factory, ref)
    with session_scope(api.factory) as session:
        service_id = session.scalars(select(Service.id).where(Service.slug == "checkout")).one()
    past_override(api.factory, service_id)
    res = check(cli)
    assert res.exit_code == 1, res.output
    assert "override" not in res.stdout


def test_override_refuses_bad_expiry(api: Api, cli: CliRunner) -> None:
    """An override beyond 7 days or without a zone is refused with exit 2."""
    args = ["gate", "override", "--service", "checkout", "--reason", "x", "--expires"]
    assert cli.invoke(app, [*args, "8d"]).exit_code == 2
    assert cli.invoke(app, [*args, "2026-12-03T10:00:00"]).exit_code == 2


def test_open_sev1_exits_1_and_resolved_exits_0(api: Api, cli: CliRunner) -> None:
    """An open Sev1 blocks; once resolved it does not."""
    ref = declare(api.client, api.tokens["admin"], severity="sev1", title="Checkout down")
    res = check(cli)
    assert res.exit_code == 1
    assert f'{ref} "Checkout down" severity=sev1 status=triggered' in res.stdout
    set_status(api.factory, ref, "resolved")
    assert check(cli).exit_code == 0


def test_errors_exit_2(api: Api, cli: CliRunner) -> None:
    """An unknown service or a bad environment is exit 2, never 0."""
    assert cli.invoke(app, ["gate", "check", "--service", "nope"]).exit_code == 2
    assert check(cli, "--environment", "bad env").exit_code == 2


def test_json_and_decisions(api: Api, cli: CliRunner) -> None:
    """``--json`` prints the API's body; each local check is recorded via cli."""
    res = check(cli, "--json", "--environment", "production")
    assert res.exit_code == 0
    assert '"allowed": true' in res.stdout and '"environment": "production"' in res.stdout
    listed = cli.invoke(app, ["gate", "decisions", "--service", "checkout"])
    assert listed.exit_code == 0
    [line] = listed.stdout.strip().splitlines()
    assert "\tproduction\tallowed\tcli:" in line


def test_reason_line_without_owner() -> None:
    """An action with no owner says so."""
    line = reason_line(
        {"kind": "action", "id": "AC-03", "incident": "INC-1", "title": "t", "due": "2026-12-10"}
    )
    assert line == 'AC-03 INC-1 "t" owner=nobody due=2026-12-10'
