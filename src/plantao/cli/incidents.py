"""``plantao incidents declare`` and ``plantao incidents role``: declare an incident by hand and
give out its roles from a shell on the server (audited as ``cli:<os user>``, like every command).

The shell has no login of ours, so these commands act as the server's operator: no team check,
as for ``plantao incidents ack``. Registered on the ``incidents`` group by ``cli/app.py``.
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


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def declare(
    title: Annotated[str, typer.Option(help="what is happening, in a line")],
    service: Annotated[str, typer.Option(help="the service's slug")],
    severity: Annotated[str, typer.Option(help="sev1..sev4 or p0..p3")],
    description: Annotated[str | None, typer.Option(help="what was seen, by whom")] = None,
    private: Annotated[
        bool, typer.Option("--private", help="only its responders and admins see it")
    ] = False,
    category: Annotated[
        str | None,
        typer.Option(help="customer_report, slo_breach, data_leak, cost, security or other"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Declare an incident by hand; the service's escalation policy pages as for an alert."""
    from plantao.api import incident_presenter as presenter
    from plantao.incidents import declare as declaring

    spec = declaring.Declaration(
        title=title,
        service=service,
        severity=severity,
        description=description,
        private=private,
        category=category,
    )
    try:
        with session_scope(_sessions()) as session:
            incident = declaring.declare(session, spec, actor=audit_actor().handle)
            session.commit()  # numbers it (INC-YYYYMMDD-N)
            summary = presenter.summaries(session, [incident])[0]
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps(summary.model_dump(mode="json"), indent=2))
        return
    typer.echo(f"{summary.number} declared: [{summary.severity}] {summary.title}")


def role(
    ref: Annotated[str, typer.Argument(help="the incident (INC-… or its number)")],
    role_name: Annotated[
        str,
        typer.Argument(
            metavar="ROLE", help="incident_commander, comms_lead, ops_lead, sme or scribe"
        ),
    ],
    handle: Annotated[str, typer.Argument(help="the person")],
    remove: Annotated[bool, typer.Option("--remove", help="take the role off them")] = False,
    context: Annotated[str, typer.Option(help="IC hand-off: the context")] = "",
    status: Annotated[str, typer.Option(help="IC hand-off: the status now")] = "",
    next_steps: Annotated[str, typer.Option(help="IC hand-off: the next steps")] = "",
) -> None:
    """Give a role to a person (a single-holder role held by someone else is handed over), or
    take it off them with --remove. One hat per person."""
    from plantao.command import roles
    from plantao.incidents import service as incident_service

    actor = audit_actor().handle
    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            roles.check_role(role_name)
            user = roles.person(session, handle)
            if remove:
                roles.unassign(session, incident, role_name, user, actor=actor)
                message = f"{incident.human_id}: {user.handle} is no longer {role_name}"
            else:
                handoff = roles.Handoff(context=context, status=status, next_steps=next_steps)
                outcome = roles.assign(
                    session, incident, role_name, user, actor=actor, handoff=handoff
                )
                verb = {"unchanged": "already is", "handed_over": "took over as"}.get(
                    outcome, "is now"
                )
                message = f"{incident.human_id}: {user.handle} {verb} {role_name}"
    except DomainError as exc:
        _fail(exc.detail)
        return
    typer.echo(message)


def register(incidents: typer.Typer) -> None:
    """Add these commands to the ``plantao incidents`` group."""
    incidents.command("declare")(declare)
    incidents.command("role")(role)
