"""The declare form (``/incidents/new``): open an incident by hand from the browser.

Works without JavaScript: the form posts, and the browser is sent to the new incident's page
(post/redirect/get). A refusal (unknown service, bad field, no responder role on the chosen
service's team) shows the form again with what was typed and why, with the error's status.
Only the services the person may declare on are offered; a person who is a responder nowhere
is refused the page (403). Registered before ``incident_pages``, whose ``/incidents/{ref}``
would otherwise take ``new`` for an incident.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.catalog import service as catalog_service
from plantao.catalog.models import Service
from plantao.errors import DomainError
from plantao.incidents import declare
from plantao.incidents.models import INCIDENT_CATEGORIES
from plantao.web import error_pages, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)


def _services(session: Session, principal: Principal) -> list[Service]:
    return [
        s for s in catalog_service.list_services(session) if principal.can(Need.RESPOND, s.team_id)
    ]


def _form(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    typed: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return rendering.render(
        request,
        "incidents/new.html",
        principal,
        status_code=status_code,
        services=_services(session, principal),
        categories=INCIDENT_CATEGORIES,
        typed=typed or {},
        error=error,
    )


@router.get("/incidents/new", response_class=HTMLResponse, response_model=None)
def declare_page(request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    principal.require(Need.RESPOND)
    return _form(request, session, principal)


@router.post("/incidents/new", response_model=None)
def declare_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    title: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "sev3",
    category: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    private: Annotated[str, Form()] = "",
) -> Response:
    found = rendering.writer(request, session, csrf)
    if isinstance(found, Response):
        return found
    principal = found
    typed = {
        "title": title,
        "service": service,
        "severity": severity,
        "category": category,
        "description": description,
        "private": bool(private),
    }
    spec = declare.Declaration(
        title=title,
        service=service,
        severity=severity,
        description=description or None,
        private=bool(private),
        category=category or None,
    )
    try:
        incident = declare.declare(session, spec, actor=principal.actor, who=principal)
        session.commit()  # gives it its INC-YYYYMMDD-N
    except DomainError as exc:
        session.rollback()
        words = error_pages.word(exc.detail, TEXTS[rendering.lang(request)])
        return _form(request, session, principal, typed=typed, error=words, status_code=exc.status)
    return RedirectResponse(f"/incidents/{incident.human_id}", status_code=303)
