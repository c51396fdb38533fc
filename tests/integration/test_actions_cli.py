"""``plantao actions``: add an action to an incident's postmortem, list (overdue, by owner), and
set its status (won't do needs a reason; a finished action reopens), as the shell's operator;
errors exit 1 saying why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao import clock
from plantao.cli.app import app as cli_app
from plantao.config import get_settings
from plantao.incidents import service as incident_service
from plantao.postmortems.models import Postmortem
from tests.factories.config import apply_standard
from tests.factories.oncall import fire


@pytest.fixture
def ref(
    factory: sessionmaker[Session], db_url: str, frozen: datetime, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """An incident on checkout with a postmortem, and the CLI pointed at its database."""
    apply_standard(factory)
    incident_id = fire(factory)
    with factory() as s:
        now = clock.now()
        s.add(Postmortem(incident_id=incident_id, created_by="t", created_at=now, updated_at=now))
        s.commit()
        human_id = incident_service.get(s, incident_id).human_id
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield human_id
    get_settings.cache_clear()


def test_add_list_and_set(ref: str) -> None:
    """add prints AC-01; list shows it with its owner, --overdue only once its day passed;
    set done finishes it, set open reopens it."""
    cli = CliRunner()
    added = cli.invoke(
        cli_app,
        ["actions", "add", ref, "--title", "Add a p99 alarm", "--owner", "ana",
         "--due", "2026-11-24", "--must-fix"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.startswith(f"AC-01 added to {ref}:") and "[must fix]" in added.output
    listed = cli.invoke(cli_app, ["actions", "list", "--owner", "ana"])
    assert listed.exit_code == 0 and "AC-01" in listed.output and "ana" in listed.output
    assert "no actions" in cli.invoke(cli_app, ["actions", "list", "--overdue"]).output
    clock.advance(timedelta(days=3))
    late = cli.invoke(cli_app, ["actions", "list", "--overdue"])
    assert "AC-01" in late.output and "OVERDUE" in late.output
    done = cli.invoke(cli_app, ["actions", "set", "AC-01", "--status", "done"])
    assert done.exit_code == 0 and " done " in done.output and "OVERDUE" not in done.output
    reopened = cli.invoke(cli_app, ["actions", "set", "ac-1", "--status", "open"])
    assert reopened.exit_code == 0 and " open " in reopened.output


def test_errors_exit_1_saying_why(ref: str) -> None:
    """An unknown owner, a won't-do without a reason, an unknown action and a bad status exit 1
    with the reason on stderr."""
    cli = CliRunner()
    nobody = cli.invoke(
        cli_app, ["actions", "add", ref, "--title", "x", "--owner", "nobody", "--due", "2026-12-01"]
    )
    assert nobody.exit_code == 1 and "nobody" in nobody.output
    cli.invoke(cli_app, ["actions", "add", ref, "--title", "x", "--owner", "ana"])
    wont = cli.invoke(cli_app, ["actions", "set", "AC-01", "--status", "wont_do"])
    assert wont.exit_code == 1 and "reason" in wont.output
    ok = cli.invoke(
        cli_app, ["actions", "set", "AC-01", "--status", "wont_do", "--reason", "retired"]
    )
    assert ok.exit_code == 0 and "wont_do" in ok.output
    missing = cli.invoke(cli_app, ["actions", "set", "AC-09", "--status", "done"])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    bad = cli.invoke(cli_app, ["actions", "list", "--status", "later"])
    assert bad.exit_code == 1 and "unknown status" in bad.output
