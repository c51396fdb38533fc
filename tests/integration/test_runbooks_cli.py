"""``plantao runbooks``: init, lint, sync, suggest and list on real files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from plantao.cli.app import app

runner = CliRunner()


def test_init_copies_pack_and_refuses_overwrite(tmp_path: Path) -> None:
    """init copies the shipped pack, refuses to overwrite without --force, and lints clean."""
    target = tmp_path / "rb"
    first = runner.invoke(app, ["runbooks", "init", str(target)])
    assert first.exit_code == 0 and (target / "en" / "redis-down.md").exists()
    again = runner.invoke(app, ["runbooks", "init", str(target)])
    assert again.exit_code == 1 and "--force" in again.output
    assert runner.invoke(app, ["runbooks", "init", str(target), "--force"]).exit_code == 0
    assert runner.invoke(app, ["runbooks", "sync", str(target)]).exit_code == 0


def test_lint_reports_file_line_field(tmp_path: Path) -> None:
    """A broken runbook makes lint exit 1 with file:line: field: message."""
    bad = tmp_path / "bad.md"
    bad.write_text("---\nid: Not A Slug\ntitle: x\nowner: me\nlast_reviewed: 2026-11-01\n---\n")
    result = runner.invoke(app, ["runbooks", "lint", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{bad}:2: id: 'Not A Slug' is not a kebab-case slug" in result.output


def test_suggest_json(tmp_path: Path) -> None:
    """suggest --json prints ranked {id, title, score, why}; an unrelated alert gives []."""
    alert = tmp_path / "a.json"
    alert.write_text(
        json.dumps(
            {
                "labels": {"alertname": "RedisDown"},
                "annotations": {"summary": "redis is unreachable"},
            }
        )
    )
    found = json.loads(
        runner.invoke(app, ["runbooks", "suggest", "--alert", str(alert), "--json"]).output
    )
    assert found[0]["id"] == "redis-down" and set(found[0]) == {"id", "title", "score", "why"}
    alert.write_text(
        json.dumps(
            {
                "labels": {"alertname": "CoffeeEmpty"},
                "annotations": {"summary": "office espresso machine"},
            }
        )
    )
    empty = runner.invoke(app, ["runbooks", "suggest", "--alert", str(alert), "--json"])
    assert empty.exit_code == 0 and json.loads(empty.output) == []
    listing = runner.invoke(app, ["runbooks", "list"])
    assert listing.exit_code == 0 and "redis-down" in listing.output
