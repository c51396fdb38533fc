"""``plantao actions``: list, add and change corrective actions from a shell on the server.

``plantao actions list [--overdue] [--owner ana]``, ``plantao actions add INC-… --title …
--owner ana --due 2026-12-20 [--must-fix]`` (starts the incident's postmortem when it has none)
and ``plantao actions set AC-07 --status done``. As the other commands, these act as the
server's operator (audited ``cli:<os user>``), who sees every action; the rules are the API's
(:mod:`plantao.postmortems.actions`).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from plantao.cli.operator import audit_actor
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError

app = typer.Typer(help="Corrective actions of postmortems (AC-07).", no_args_is_help=True)


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _problem(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'action'}: "
        + str(e["msg"]).removeprefix("Value error, ")
        for e in exc.errors()
    )


def _line(a: dict[str, Any]) -> str:
    flags = " [must fix]" if a["must_fix"] else ""
    late = " OVERDUE" if a["overdue"] else ""
    owner = a["owner"] or "nobody"
    return (
        f"{a['id']}  {a['status']:<11} due {a['due_date']}{late}  {owner:<12} "
        f"{a['incident']}  {a['title']}{flags}"
    )


def _operator() -> Any:
    """The shell's operator as a principal that sees every incident (an admin's view)."""
    from plantao.auth.principal import Principal
    from plantao.auth.roles import Access, Role

    who = audit_actor()
    return Principal(user_id=0, handle=who.handle, name=who.handle, access=Access(Role.ADMIN))


@app.command("list")
def list_actions(
    overdue: Annotated[bool, typer.Option("--overdue", help="only open actions past due")] = False,
    owner: Annotated[str | None, typer.Option(help="only this person's (a handle)")] = None,
    status: Annotated[str | None, typer.Option(help="open, in_progress, done, wont_do")] = None,
    must_fix: Annotated[bool, typer.Option("--must-fix", help="only must-fix actions")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List actions, soonest due first (open and in progress unless --status says)."""
    from plantao.postmortems import actions
    from plantao.postmortems.models import ACTION_STATUSES

    if status is not None and status not in ACTION_STATUSES:
        _fail(f"unknown status '{status}'; use {', '.join(ACTION_STATUSES)}")
    filt = actions.ActionFilter(
        status=status,
        owner=owner,
        must_fix=True if must_fix else None,
        overdue=overdue,
        open_only=status is None,
    )
    with session_scope(_sessions()) as session:
        rows = actions.describe(session, actions.search(session, filt, _operator()))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        typer.echo("no actions")
    for row in rows:
        typer.echo(_line(row))


@app.command("add")
def add_action(
    ref: Annotated[str, typer.Argument(help="the incident (INC-… or its number)")],
    title: Annotated[str, typer.Option(help="what will be done")],
    owner: Annotated[str, typer.Option(help="who does it (a handle)")],
    due: Annotated[str | None, typer.Option(help="due day, 2026-12-20")] = None,
    must_fix: Annotated[
        bool, typer.Option("--must-fix", help="releases of the service wait for it")
    ] = False,
    kind: Annotated[str, typer.Option(help="quick_fix, hardening, prevention, follow_up")] = (
        "quick_fix"
    ),
    ticket: Annotated[str | None, typer.Option(help="the ticket's URL (http/https)")] = None,
    measure: Annotated[str | None, typer.Option(help="how prevention will be measured")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add a corrective action to the incident's postmortem (started now if it has none)."""
    from plantao.incidents import service as incident_service
    from plantao.postmortems import actions, records
    from plantao.postmortems.action_schemas import ActionIn

    body = {
        "title": title,
        "owner": owner,
        "due_date": due,
        "must_fix": must_fix,
        "kind": kind,
        "ticket_url": ticket,
        "measure": measure,
    }
    try:
        data = ActionIn.model_validate(body)
    except ValidationError as exc:
        _fail(_problem(exc))
        return
    actor = audit_actor()
    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            pm, _ = records.ensure(session, incident, actor=actor.handle)
            row = actions.create(session, pm, incident, data, actor=actor.handle, audit_actor=actor)
            shown = actions.describe(session, [row])[0]
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    typer.echo(f"{shown['id']} added to {shown['incident']}: {_line(shown)}")


@app.command("set")
def set_action(
    ref: Annotated[str, typer.Argument(help="the action (AC-07)")],
    status: Annotated[
        str | None, typer.Option(help="open, in_progress, done, wont_do (needs --reason)")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="why it will not be done")] = None,
    owner: Annotated[str | None, typer.Option(help="a new owner (a handle)")] = None,
    due: Annotated[str | None, typer.Option(help="a new due day, 2026-12-20")] = None,
    title: Annotated[str | None, typer.Option(help="a new title")] = None,
    ticket: Annotated[str | None, typer.Option(help="the ticket's URL (http/https)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Change an action: its status (done, wont_do with --reason, open to reopen) or fields."""
    from plantao.incidents.models import Incident
    from plantao.postmortems import actions
    from plantao.postmortems.action_schemas import ActionPatch

    given = {
        "status": status,
        "reason": reason,
        "owner": owner,
        "due_date": due,
        "title": title,
        "ticket_url": ticket,
    }
    try:
        data = ActionPatch.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as exc:
        _fail(_problem(exc))
        return
    actor = audit_actor()
    try:
        with session_scope(_sessions()) as session:
            row = actions.get(session, ref, for_update=True)
            incident = session.get(Incident, row.incident_id)
            if incident is None:
                raise DomainError(f"action '{ref}' has no incident")
            actions.update(session, row, incident, data, actor=actor.handle, audit_actor=actor)
            shown = actions.describe(session, [row])[0]
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps(shown, indent=2, default=str))
        return
    typer.echo(_line(shown))
