"""``plantao postmortems``: start an incident's postmortem, show it, export it as Markdown, and
publish it, from a shell on the server.

Like the other incident commands these act as the server's operator (``cli:<os user>`` on the
incident's timeline) with no role check: whoever has a shell on the server and its database URL
already holds every key. The incident is named as everywhere else (``INC-…`` or its number).
Publishing follows the same rule as the API: every requested reviewer must have approved the
current version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from plantao.cli.operator import audit_actor
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError, NotFound
from plantao.incidents.models import Incident
from plantao.postmortems.models import Postmortem

app = typer.Typer(no_args_is_help=True, help="Blameless postmortems: start, show, export, publish.")
Ref = Annotated[str, typer.Argument(help="the incident (INC-… or its number)")]


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _existing(session: Session, ref: str, *, lock: bool = False) -> tuple[Postmortem, Incident]:
    """The incident named ``ref`` and its postmortem, or NotFound saying it has none yet."""
    from plantao.incidents import service as incident_service
    from plantao.postmortems import records

    incident = incident_service.get(session, ref, for_update=lock)
    pm = records.for_incident(session, incident.id)
    if pm is None:
        raise NotFound(f"incident '{incident.human_id}' has no postmortem yet")
    return pm, incident


@app.command("start")
def start(ref: Ref, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Start the incident's postmortem from its generated draft (or show the one it has)."""
    from plantao.incidents import service as incident_service
    from plantao.postmortems import editing, reading

    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            pm, created = editing.start(session, incident, actor=audit_actor().handle)
            out = reading.detail(session, pm, incident)
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=2))
        return
    due = f"due {out.due_at:%Y-%m-%d %H:%M} UTC" if out.due_at else "no due date"
    verb = "started" if created else "already started"
    typer.echo(f"{out.incident.human_id}: postmortem {out.id} {verb} ({out.status}, {due})")


@app.command("show")
def show(ref: Ref, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The postmortem's state, due date, owner, reviews and blameless warnings."""
    from plantao.postmortems import reading

    try:
        with session_scope(_sessions()) as session:
            pm, incident = _existing(session, ref)
            out = reading.detail(session, pm, incident)
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=2))
        return
    due = f"{out.due_at:%Y-%m-%d %H:%M} UTC" if out.due_at else "-"
    late = " (overdue)" if out.overdue else ""
    typer.echo(
        f"postmortem {out.id} of {out.incident.human_id}: {out.status}, version {out.version}"
    )
    typer.echo(f"due: {due}{late}")
    typer.echo(f"owner: {out.owner or '-'}")
    typer.echo(f"root cause: {out.root_cause or '-'}")
    for r in out.reviews:
        typer.echo(f"review: {r.reviewer} {r.decision} (version {r.decided_version or '-'})")
    for f in out.lint:
        typer.echo(f"warning: line {f.line}, column {f.column}: {f.text!r}: {f.message}")


@app.command("export")
def export(
    ref: Ref,
    fmt: Annotated[str, typer.Option("--format", help="md (Markdown)")] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write here instead of stdout")
    ] = None,
) -> None:
    """The postmortem as Markdown (print to PDF from its web page: /postmortems/{id}/print)."""
    from plantao.postmortems import exporting

    if fmt != "md":
        _fail(f"unknown format '{fmt}': only md (for PDF, print the web page)")
        return
    try:
        with session_scope(_sessions()) as session:
            pm, incident = _existing(session, ref)
            text = exporting.markdown(session, pm, incident)
    except DomainError as exc:
        _fail(exc.detail)
        return
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


@app.command("publish")
def publish(ref: Ref) -> None:
    """Publish: every requested reviewer must have approved the current version."""
    from plantao.postmortems import publishing

    try:
        with session_scope(_sessions()) as session:
            pm, incident = _existing(session, ref, lock=True)
            publishing.publish(session, pm, actor=audit_actor().handle)
            human_id, version = incident.human_id, pm.version
    except DomainError as exc:
        _fail(exc.detail)
        return
    typer.echo(f"{human_id}: postmortem published (version {version})")
