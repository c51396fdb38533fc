"""``plantao incidents responders``: page more people onto an incident from a shell on the
server ("page the DBA", seed 003 §9.2), and list who was asked and whether they answered.

Like every ``plantao incidents`` verb, the shell acts as the server's operator (audited as
``cli:<os user>``, no team check). Registered on the ``incidents`` group by ``cli/app.py``.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from plantao.cli.operator import audit_actor
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError

app = typer.Typer(
    no_args_is_help=True, help="Page a user, a schedule or a policy onto an incident."
)


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


@app.command("add")
def add(
    ref: Annotated[str, typer.Argument(help="the incident (INC-… or its number)")],
    user: Annotated[str | None, typer.Option("--user", help="a person's handle")] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="a schedule: whoever is on call now")
    ] = None,
    policy: Annotated[
        str | None, typer.Option("--policy", help="an escalation policy: its first step")
    ] = None,
    message: Annotated[str | None, typer.Option(help="sent with the page")] = None,
) -> None:
    """Page the people of exactly one of --user, --schedule, --policy as responders."""
    from plantao.command import responders
    from plantao.incidents import service as incident_service

    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            added = responders.add(
                session,
                incident,
                user=user,
                schedule=schedule,
                policy=policy,
                actor=audit_actor().handle,
                message=message,
            )
            ref_out = incident.human_id
    except DomainError as exc:
        _fail(exc.detail)
        return
    if added.paged:
        plural = "s" if len(added.paged) > 1 else ""
        typer.echo(f"{ref_out}: paged {', '.join(added.paged)} as responder{plural}")
    if added.joined:
        typer.echo(f"{ref_out}: {', '.join(added.joined)} joined")
    if added.already:
        typer.echo(f"{ref_out}: already responders, not paged again: {', '.join(added.already)}")


@app.command("list")
def list_responders(
    ref: Annotated[str, typer.Argument(help="the incident (INC-… or its number)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Everyone asked onto the incident, with their state (paged, acknowledged, joined)."""
    from plantao.command import responders
    from plantao.incidents import service as incident_service

    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref)
            rows = responders.listing(session, incident.id)
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    if not rows:
        typer.echo("(nobody)")
    for r in rows:
        typer.echo(f"{r.user}\t{r.state}\t{r.via}\tadded by {r.added_by}")


def register(incidents: typer.Typer) -> None:
    """Add ``responders`` to the ``plantao incidents`` group."""
    incidents.add_typer(app, name="responders")
