"""Linting: staleness, sections, parameters, matchers and duplicate ids across files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from plantao.runbooks.document import Problem
from plantao.runbooks.lint import has_errors, lint_paths

from .conftest import FIXTURE_PACK, VALID_BODY, VALID_FRONT, document

TODAY = date(2026, 11, 22)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _summary(problems: list[Problem]) -> list[tuple[str, int, str, str]]:
    return [(Path(p.file).name, p.line, p.field, p.severity) for p in problems]


def test_fixture_pack_is_clean() -> None:
    """The fixture pack has no errors on a day when it is fresh."""
    assert not has_errors(lint_paths(FIXTURE_PACK, date(2026, 11, 20)))


def test_stale_runbook_is_an_error_on_last_reviewed(tmp_path: Path) -> None:
    """last_reviewed + review_every before today is reported as a stale error."""
    front = VALID_FRONT.replace("2026-11-01", "2026-09-01")
    path = _write(tmp_path, "a.md", document(front))
    problems = lint_paths(path, TODAY)
    assert _summary(problems) == [("a.md", 5, "last_reviewed", "error")]
    assert "stale" in problems[0].message


def test_review_every_in_weeks_decides_staleness(tmp_path: Path) -> None:
    """review_every: 2w makes a runbook reviewed 15 days ago stale, 13 days ago fresh."""
    fresh = _write(
        tmp_path,
        "fresh.md",
        document(VALID_FRONT.replace("2026-11-01", "2026-11-09") + "review_every: 2w\n"),
    )
    stale = _write(
        tmp_path,
        "stale.md",
        document(VALID_FRONT.replace("2026-11-01", "2026-11-07") + "review_every: 2w\n"),
    )
    assert lint_paths(fresh, TODAY) == []
    assert [p.field for p in lint_paths(stale, TODAY)] == ["last_reviewed"]


def test_missing_required_sections_are_warnings(tmp_path: Path) -> None:
    """No Symptom and no Mitigation heading: two warnings, no error."""
    path = _write(tmp_path, "a.md", document(body="# Title\n\n## Notes\nnothing\n"))
    problems = lint_paths(path, TODAY)
    assert not has_errors(problems)
    messages = [p.message for p in problems if p.field == "sections"]
    assert messages == ["missing a symptom section", "missing a mitigation section"]


def test_unused_parameter_is_a_warning_at_its_line(tmp_path: Path) -> None:
    """A declared parameter no action lists is flagged where it is declared."""
    path = _write(tmp_path, "a.md", document(VALID_FRONT + "  spare: {type: int}\n"))
    assert _summary(lint_paths(path, TODAY)) == [("a.md", 9, "parameters.spare", "warning")]


def test_undeclared_parameter_and_bad_danger_are_errors(tmp_path: Path) -> None:
    """An action using an undeclared parameter or an unknown danger fails lint."""
    body = VALID_BODY.replace(
        "danger=mutate params=deployment,token", "danger=risky params=deployment,ghost"
    )
    path = _write(tmp_path, "a.md", document(body=body))
    problems = lint_paths(path, TODAY)
    assert {(p.field, p.severity) for p in problems} >= {
        ("action 'restart'.danger", "error"),
        ("action 'restart'.params", "error"),
    }


def test_bad_matcher_is_an_error(tmp_path: Path) -> None:
    """A matcher that does not parse is reported on its list item."""
    path = _write(tmp_path, "a.md", document(VALID_FRONT + 'alerts:\n  - alertname~"X"\n'))
    assert _summary([p for p in lint_paths(path, TODAY) if p.field.startswith("alerts")]) == [
        ("a.md", 10, "alerts[0]", "error")
    ]


def test_negative_only_matchers_warn(tmp_path: Path) -> None:
    """A group made only of exclusions would link nearly every alert."""
    path = _write(tmp_path, "a.md", document(VALID_FRONT + 'alerts:\n  - severity!="info"\n'))
    assert [(p.field, p.severity) for p in lint_paths(path, TODAY)] == [("alerts[0]", "warning")]


def test_duplicate_ids_across_files_only_within_a_language(tmp_path: Path) -> None:
    """The same id may exist once per language; a second English copy is an error."""
    _write(tmp_path, "en/a.md", document())
    _write(tmp_path, "pt-BR/a.md", document(VALID_FRONT + "lang: pt-BR\n"))
    assert lint_paths(tmp_path, TODAY) == []
    _write(tmp_path, "en/b.md", document())
    assert _summary(lint_paths(tmp_path, TODAY)) == [("b.md", 2, "id", "error")]


def test_accepts_a_list_of_files(tmp_path: Path) -> None:
    """Files can be passed one by one, as a CLI does with globbed arguments."""
    a = _write(tmp_path, "a.md", document())
    b = _write(tmp_path, "b.md", "no front matter\n")
    assert _summary(lint_paths([a, b], TODAY)) == [("b.md", 1, "front matter", "error")]


def test_translations_must_offer_the_same_actions(tmp_path: Path) -> None:
    """A pt-BR version missing an action of the English one is flagged on the pt-BR file."""
    _write(tmp_path, "en/a.md", document())
    body = VALID_BODY.replace("action=restart", "action=reiniciar")
    _write(tmp_path, "pt-BR/a.md", document(VALID_FRONT + "lang: pt-BR\n", body))
    problems = lint_paths(tmp_path, TODAY)
    assert _summary(problems) == [("a.md", 1, "actions", "warning")]
    assert Path(problems[0].file).parent.name == "pt-BR"
    assert "from the en version" in problems[0].message
    assert "['reiniciar']" in problems[0].message
