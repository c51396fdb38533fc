"""``plantao postmortems``: start an incident's postmortem (then "already started"), show it,
export it as Markdown to stdout or a file, and publish it, as the shell's operator; errors exit 1
saying why."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao.cli.app import app as cli_app
from plantao.config import get_settings
from plantao.incidents import service as incident_service
from tests.factories.config import apply_standard
from tests.factories.oncall import fire


def test_start_show_export_publish(
    factory: sessionmaker[Session],
    db_url: str,
    frozen: datetime,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Start answers the postmortem (a second start says it already was); show prints its state
    and due date; export writes the Markdown; publish publishes it (nobody asked to review);
    an incident without one and an unknown format exit 1."""
    apply_standard(factory)
    incident_id = fire(factory)
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        with factory() as s:
            ref = incident_service.get(s, incident_id).human_id
        cli = CliRunner()
        missing = cli.invoke(cli_app, ["postmortems", "show", ref])
        assert missing.exit_code == 1 and "has no postmortem yet" in missing.output
        started = cli.invoke(cli_app, ["postmortems", "start", ref])
        assert started.exit_code == 0, started.output
        assert started.output.startswith(f"{ref}: postmortem ") and " started (draft, due " in (
            started.output
        )
        again = cli.invoke(cli_app, ["postmortems", "start", ref])
        assert "already started" in again.output
        shown = cli.invoke(cli_app, ["postmortems", "show", ref])
        assert shown.exit_code == 0 and "draft, version 1" in shown.output
        exported = cli.invoke(cli_app, ["postmortems", "export", ref, "--format", "md"])
        assert exported.exit_code == 0 and f"incident: {ref}" in exported.output
        target = tmp_path / "pm.md"
        written = cli.invoke(cli_app, ["postmortems", "export", ref, "-o", str(target)])
        assert written.exit_code == 0 and ref in target.read_text(encoding="utf-8")
        pdf = cli.invoke(cli_app, ["postmortems", "export", ref, "--format", "pdf"])
        assert pdf.exit_code == 1 and "unknown format" in pdf.output
        published = cli.invoke(cli_app, ["postmortems", "publish", ref])
        assert published.exit_code == 0, published.output
        assert published.output == f"{ref}: postmortem published (version 1)\n"
        twice = cli.invoke(cli_app, ["postmortems", "publish", ref])
        assert twice.exit_code == 1 and "published already" in twice.output
        with factory() as s:
            kinds = [e.kind for e in incident_service.timeline(s, incident_id)]
            actors = {e.actor for e in incident_service.timeline(s, incident_id)}
        assert "postmortem.started" in kinds and "postmortem.published" in kinds
        assert f"cli:{getpass.getuser()}" in actors
    finally:
        get_settings.cache_clear()
