"""The incident list and the incident page, and the forms that act on an incident."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api import incident_presenter as presenter
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.errors import DomainError
from plantao.incidents import access as incident_access
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import Incident
from plantao.runbooks import checklists as runbook_checklists
from plantao.runbooks import linking as runbook_linking
from plantao.runbooks import posture as runbook_posture
from plantao.runbooks import triage
from plantao.web import rendering

router = APIRouter(include_in_schema=False)


@router.get("/incidents/{ref}", response_class=HTMLResponse, response_model=None)
def incident_page(ref: str, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    incident = incident_service.get(session, ref)
    return rendering.render(
        request,
        "incident.html",
        principal,
        i=presenter.detail(session, incident),
        can_write=incident_access.allowed(session, principal, incident),
        runbooks=runbook_linking.incident_runbooks(session, incident.id),
        checklists=runbook_checklists.checklists(session, incident.id),
        risk=runbook_posture.latest_risk(session, incident.id),
        triage=triage.triage_checklist(rendering.lang(request)),
    )


def change_incident(
    request: Request,
    session: Session,
    csrf: str,
    ref: str,
    change: Callable[[Incident, Principal], object],
) -> Response:
    """Every incident form: check session, CSRF and role, lock the incident, apply, commit,
    and send the browser back to the incident page (post/redirect/get)."""
    who = rendering.writer(request, session, csrf)
    if isinstance(who, Response):
        return who
    incident = incident_access.get_to_act(session, ref, who)
    change(incident, who)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.human_id}", status_code=303)


@router.post("/incidents/{ref}/notes", response_model=None)
def note_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    text: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "fact",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.add_note(
            session, inc, actor=who.actor, text=text, kind=kind
        ),
    )


@router.post("/incidents/{ref}/severity", response_model=None)
def severity_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    severity: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.change_severity(
            session, inc, actor=who.actor, new=severity, reason=reason or None
        ),
    )


@router.post("/incidents/{ref}/{action}", response_model=None)
def action_form(
    ref: str,
    action: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    try:
        verb = Action(action)
    except ValueError:
        raise DomainError(f"unknown action '{action}'") from None
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.act(session, inc, verb, actor=who.actor),
    )
