"""Check runbook files before they ship: the pure core of ``plantao runbooks lint``.

A runbook is found when it is needed most, so its defects must be found before: a matcher that
never matches, a parameter a command cannot see, a review date long past. Errors make the CLI
exit non-zero (CI blocks the merge); warnings are shown but pass, for things a team may decide
consciously (a runbook with no Mitigation section yet).

Staleness is an error by design: an out-of-date runbook read at 3 a.m. is worse than none,
because people trust it. ``today`` is a parameter so the check is deterministic in tests and CI.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from plantao.runbooks.document import Problem, Runbook, is_specific
from plantao.runbooks.library import load_file

REQUIRED_SECTIONS = ("symptom", "mitigation")


def collect_files(paths: Path | str | Iterable[Path | str]) -> list[Path]:
    """Expand directories (recursively, ``*.md``) and keep files as given, without repeats."""
    items = [paths] if isinstance(paths, Path | str) else list(paths)
    found: list[Path] = []
    for item in map(Path, items):
        found.extend(sorted(item.rglob("*.md")) if item.is_dir() else [item])
    return list(dict.fromkeys(found))


def lint_runbook(runbook: Runbook, today: date) -> list[Problem]:
    """Problems that need the whole parsed runbook rather than one field."""
    file = runbook.path
    problems: list[Problem] = []

    def add(line: int, fld: str, message: str, severity: str = "warning") -> None:
        problems.append(
            Problem(file, line, fld, message, "error" if severity == "error" else "warning")
        )

    if runbook.is_stale(today):
        add(
            runbook.line_of("last_reviewed"),
            "last_reviewed",
            f"stale: last reviewed {runbook.last_reviewed}, review was due "
            f"{runbook.review_due} (review_every {runbook.review_every.days}d)",
            "error",
        )
    if runbook.last_reviewed > today:
        add(
            runbook.line_of("last_reviewed"),
            "last_reviewed",
            f"{runbook.last_reviewed} is in the future",
            "error",
        )
    for kind in REQUIRED_SECTIONS:
        if kind not in runbook.sections:
            add(1, "sections", f"missing a {kind.replace('_', '-')} section")
    used = {name for action in runbook.actions for name in action.params}
    for name in runbook.parameters:
        if name not in used:
            add(
                runbook.line_of(f"parameters.{name}"),
                f"parameters.{name}",
                "declared but no action uses it",
            )
    for i, group in enumerate(runbook.alerts):
        if group and not is_specific(group):
            add(
                runbook.line_of(f"alerts[{i}]"),
                f"alerts[{i}]",
                "only negative matchers: this would link almost every alert",
            )
    return problems


def lint_paths(paths: Path | str | Iterable[Path | str], today: date) -> list[Problem]:
    """Every problem in the given files and directories, sorted by file and line."""
    problems: list[Problem] = []
    seen: dict[tuple[str, str], str] = {}
    loaded: list[Runbook] = []
    for path in collect_files(paths):
        runbook, found = load_file(path)
        problems.extend(found)
        if runbook is None:
            continue
        loaded.append(runbook)
        problems.extend(lint_runbook(runbook, today))
        key = (runbook.id, runbook.lang)
        if key in seen:
            problems.append(
                Problem(
                    str(path),
                    runbook.line_of("id"),
                    "id",
                    f"duplicate id '{runbook.id}' for lang {runbook.lang}; first in {seen[key]}",
                )
            )
        else:
            seen[key] = str(path)
    problems.extend(_translations_agree(loaded))
    return sorted(problems, key=lambda p: (p.file, p.line, p.field))


def _translations_agree(runbooks: list[Runbook]) -> list[Problem]:
    """Versions of one id must offer the same actions and parameters: a reader falls back
    from one language to the other, and a saved execution refers to an action by id."""
    problems: list[Problem] = []
    by_id: dict[str, list[Runbook]] = {}
    for rb in runbooks:
        by_id.setdefault(rb.id, []).append(rb)
    for versions in by_id.values():
        first, *others = sorted(versions, key=lambda r: r.lang != "en")
        for other in others:
            for what, mine, theirs in (
                ("actions", {a.id for a in other.actions}, {a.id for a in first.actions}),
                ("parameters", set(other.parameters), set(first.parameters)),
            ):
                if mine != theirs:
                    only_here, only_there = sorted(mine - theirs), sorted(theirs - mine)
                    problems.append(
                        Problem(
                            other.path,
                            1,
                            what,
                            f"{what} differ from the {first.lang} version ({first.path}): "
                            f"only here {only_here}, only there {only_there}",
                            "warning",
                        )
                    )
    return problems


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)
