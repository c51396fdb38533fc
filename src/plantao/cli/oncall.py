"""``plantao oncall``: who is on call, upcoming shifts, manual escalation."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.orm import Session, sessionmaker

from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError

app = typer.Typer(no_args_is_help=True, help="On-call schedules and escalation.")


def _at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


@app.command("who")
def who(
    schedule: str,
    at: Annotated[
        str | None, typer.Option(help="ISO 8601 time (default: now; UTC if naive)")
    ] = None,
) -> None:
    """Who is on call for SCHEDULE (now, or --at)."""
    from plantao.oncall import service as oncall_service

    try:
        with session_scope(_sessions()) as session:
            users = oncall_service.schedules.who_is_on_call(session, schedule, _at(at))
    except DomainError as exc:
        _fail(exc.detail)
        return
    typer.echo(", ".join(users) if users else "(nobody)")


@app.command("shifts")
def shifts(
    schedule: str,
    n: Annotated[int, typer.Option("-n", min=1, max=200, help="how many shifts")] = 10,
    at: Annotated[str | None, typer.Option(help="from this ISO 8601 time")] = None,
) -> None:
    """The next N shifts of SCHEDULE (times in UTC)."""
    from plantao.oncall import service as oncall_service

    try:
        with session_scope(_sessions()) as session:
            found = oncall_service.schedules.next_shifts(session, schedule, n, _at(at))
    except DomainError as exc:
        _fail(exc.detail)
        return
    for s in found:
        layer = f"\t{s.layer}" if s.layer else "\toverride"
        typer.echo(f"{s.start:%Y-%m-%d %H:%M}Z\t{s.end:%Y-%m-%d %H:%M}Z\t{s.user}{layer}")


@app.command("escalate")
def escalate(ref: str) -> None:
    """Page the next escalation step of incident REF now."""
    from plantao.incidents import service as incident_service
    from plantao.oncall import service as oncall_service

    try:
        actor = f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        actor = "cli"
    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            oncall_service.escalate_now(session, incident.id, actor)
            typer.echo(f"{incident.human_id}: escalated")
    except DomainError as exc:
        _fail(exc.detail)
