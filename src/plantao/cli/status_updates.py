"""``plantao incidents update`` and ``plantao incidents updates``: post a status update (seed 002
status template, 003 §4.3) and list the posted ones, from a shell on the server.

As the other incident commands, these act as the server's operator (audited ``cli:<os user>``).
Next steps are ``--step "action|owner|eta"`` (owner and ETA optional; ETA in ISO 8601 with a
time zone), repeatable. Registered on the ``incidents`` group by ``cli/app.py``.
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


def _sessions() -> sessionmaker[Session]:
    return make_sessionmaker(make_engine(get_settings().database_url, pool_size=2))


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _step(text: str) -> dict[str, Any]:
    action, owner, eta = ([*text.split("|", 2), "", ""])[:3]
    return {"action": action.strip(), "owner": owner.strip() or None, "eta": eta.strip() or None}


def _problem(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'update'}: "
        + str(e["msg"]).removeprefix("Value error, ")
        for e in exc.errors()
    )


def update(
    ref: Annotated[str, typer.Argument(help="the incident (INC-… or its number)")],
    status: Annotated[str, typer.Option(help="investigating, identified, monitoring, resolved")],
    impact: Annotated[str, typer.Option(help="who is affected and how")],
    symptoms: Annotated[str | None, typer.Option(help="what is seen")] = None,
    mitigation: Annotated[str | None, typer.Option(help="the mitigation in place")] = None,
    step: Annotated[
        list[str] | None, typer.Option(help='a next step: "action|owner|eta" (repeatable)')
    ] = None,
    next_update_at: Annotated[
        str | None, typer.Option(help="when the next update is due (ISO 8601 with zone)")
    ] = None,
    root_cause: Annotated[str | None, typer.Option(help="resolved: the root cause")] = None,
    fix: Annotated[str | None, typer.Option(help="resolved: the fix applied")] = None,
    monitoring: Annotated[
        str | None, typer.Option(help='resolved: the monitoring period ("next 2 hours")')
    ] = None,
    postmortem_at: Annotated[
        str | None, typer.Option(help="resolved: the postmortem date (ISO 8601 with zone)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Post a status update; the next one is due one severity interval later."""
    from plantao.command import updates
    from plantao.command.update_schemas import StatusUpdateIn, StatusUpdateOut
    from plantao.incidents import service as incident_service

    body: dict[str, Any] = {
        "status": status,
        "impact": impact,
        "symptoms": symptoms,
        "mitigation": mitigation,
        "next_steps": [_step(s) for s in step or []],
        "next_update_at": next_update_at,
    }
    if status == "resolved" or any((root_cause, fix, monitoring, postmortem_at)):
        body["resolution"] = {
            "root_cause": root_cause or "",
            "fix": fix or "",
            "monitoring": monitoring or "",
            "postmortem_at": postmortem_at,
        }
    try:
        data = StatusUpdateIn.model_validate(body)
    except ValidationError as exc:
        _fail(_problem(exc))
        return
    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref, for_update=True)
            posted = updates.post(session, incident, data, actor=audit_actor().handle)
            out = StatusUpdateOut.model_validate(posted)
            human_id = incident.human_id
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps(out.model_dump(mode="json"), indent=2))
        return
    due = out.next_update_due_at
    after = f"next update due {due:%Y-%m-%d %H:%M} UTC" if due else "no next update due"
    typer.echo(f"{human_id}: {out.kind} update posted ({out.status}); {after}")


def list_updates(
    ref: Annotated[str, typer.Argument(help="the incident (INC-… or its number)")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List an incident's status updates, newest first."""
    from plantao.command import updates
    from plantao.command.update_schemas import StatusUpdateOut
    from plantao.incidents import service as incident_service

    try:
        with session_scope(_sessions()) as session:
            incident = incident_service.get(session, ref)
            rows = [
                StatusUpdateOut.model_validate(u) for u in updates.history(session, incident.id)
            ]
    except DomainError as exc:
        _fail(exc.detail)
        return
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    for r in rows:
        typer.echo(f"{r.posted_at:%Y-%m-%d %H:%M} {r.kind:<10} {r.status:<13} {r.impact}")


def register(incidents: typer.Typer) -> None:
    """Add these commands to the ``plantao incidents`` group."""
    incidents.command("update")(update)
    incidents.command("updates")(list_updates)
