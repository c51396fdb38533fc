"""``plantao runbooks``: check, explore and start a team's runbook directory from a terminal.

These commands read files only (no database): a runbook directory is reviewed in git and
checked in CI before the server ever loads it, so lint and suggest must work on a laptop.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from plantao import clock
from plantao.config import get_settings
from plantao.runbooks import library_access
from plantao.runbooks.document import Problem
from plantao.runbooks.library import RunbookLibrary, default_pack_dir
from plantao.runbooks.lint import has_errors, lint_paths

app = typer.Typer(no_args_is_help=True, help="Runbooks: lint, sync, suggest, list, init.")


def _line(p: Problem) -> str:
    suffix = " (warning)" if p.severity == "warning" else ""
    return f"{p.file}:{p.line}: {p.field}: {p.message}{suffix}"


def _today() -> date:
    return clock.now().date()


@app.command("lint")
def lint(
    paths: Annotated[list[Path], typer.Argument(help="runbook files or directories")],
) -> None:
    """Check runbooks; prints file:line: field: message and exits 1 on any error."""
    missing = [p for p in paths if not p.exists()]
    if missing:
        typer.echo(f"error: {missing[0]}: no such file or directory", err=True)
        raise typer.Exit(2)
    problems = lint_paths(paths, _today())
    for problem in problems:
        typer.echo(_line(problem))
    errors = sum(p.severity == "error" for p in problems)
    typer.echo(f"{errors} error(s), {len(problems) - errors} warning(s)", err=True)
    if has_errors(problems):
        raise typer.Exit(1)


@app.command("sync")
def sync(directory: Annotated[Path, typer.Argument(help="the team's runbook directory")]) -> None:
    """Load and validate a directory as the server would, and report what it holds."""
    if not directory.is_dir():
        typer.echo(f"error: {directory}: not a directory", err=True)
        raise typer.Exit(2)
    lib = RunbookLibrary.load(directory)
    runbooks = lib.all()
    problems = lib.problems
    for problem in problems:
        typer.echo(_line(problem))
    actions = sum(len(rb.actions) for rb in runbooks)
    langs = sorted({rb.lang for rb in runbooks})
    typer.echo(
        f"{len(lib.ids())} runbook(s), {len(runbooks)} file(s) loaded ({', '.join(langs) or '-'}), "
        f"{actions} executable step(s), {sum(p.severity == 'error' for p in problems)} "
        "broken file(s)"
    )
    typer.echo(
        f"serve it with: PLANTAO_RUNBOOKS_DIR={directory.resolve()} "
        "(changes are picked up within seconds; no restart needed)"
    )
    if has_errors(problems):
        raise typer.Exit(1)


@app.command("list")
def list_runbooks(
    directory: Annotated[Path | None, typer.Option(help="default: PLANTAO_RUNBOOKS_DIR")] = None,
    lang: Annotated[str | None, typer.Option(help="en or pt-BR")] = None,
) -> None:
    """One line per runbook: id, languages, version, review state, title."""
    lib = _library(directory)
    today = _today()
    for rid in lib.ids():
        rb = library_access.get_runbook(lib, rid, lang or get_settings().language)
        state = "STALE" if rb.is_stale(today) else "ok"
        langs = ",".join(library_access.languages(lib, rid))
        typer.echo(f"{rid:40} {langs:9} v{rb.short_version} {state:5} {rb.title}")


def _library(directory: Path | None) -> RunbookLibrary:
    if directory is not None:
        return RunbookLibrary.load(directory)
    return library_access.library(get_settings())


@app.command("suggest")
def suggest(
    alert: Annotated[Path, typer.Option("--alert", help="an alert as JSON: labels, annotations")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    directory: Annotated[Path | None, typer.Option(help="default: PLANTAO_RUNBOOKS_DIR")] = None,
    k: Annotated[int, typer.Option("-k", help="how many at most")] = 3,
) -> None:
    """Rank runbooks for an alert (best first); nothing when none passes the threshold."""
    try:
        data: Any = json.loads(alert.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {alert}: {exc}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(data, dict) or not isinstance(data.get("labels", {}), dict):
        typer.echo(f"error: {alert}: expected an object with 'labels' and 'annotations'", err=True)
        raise typer.Exit(2)
    labels = {str(key): str(v) for key, v in data.get("labels", {}).items()}
    notes = {str(key): str(v) for key, v in (data.get("annotations") or {}).items()}
    found = _library(directory).suggest(labels, notes, k=k)
    if as_json:
        typer.echo(
            json.dumps(
                [{"id": s.id, "title": s.title, "score": s.score, "why": s.reason} for s in found],
                ensure_ascii=False,
            )
        )
        return
    if not found:
        typer.echo("no runbook found for this alert")
    for s in found:
        typer.echo(f"{s.score:6.3f}  {s.id}  {s.title}\n        {s.reason}")


@app.command("init")
def init(
    directory: Annotated[Path, typer.Argument(help="where to copy the shipped pack")] = Path(
        "runbooks"
    ),
    force: Annotated[bool, typer.Option("--force", help="overwrite existing files")] = False,
) -> None:
    """Copy the runbooks shipped with Plantão into a team directory to edit and own."""
    pack = default_pack_dir()
    files = sorted(pack.rglob("*.md"))
    clashes = [
        directory / f.relative_to(pack) for f in files if (directory / f.relative_to(pack)).exists()
    ]
    if clashes and not force:
        typer.echo(
            f"error: {len(clashes)} file(s) already exist (first: {clashes[0]}); "
            "use --force to overwrite",
            err=True,
        )
        raise typer.Exit(1)
    for source in files:
        target = directory / source.relative_to(pack)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    typer.echo(
        f"copied {len(files)} runbook file(s) to {directory}; "
        f"then: plantao runbooks lint {directory}"
    )
