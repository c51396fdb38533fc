"""The incident page's visibility form: make the incident private (only its responders and
admins see it) or public again (``plantao.incidents.privacy.set_private``).

It goes through :func:`plantao.web.incident_pages.change_incident` like every incident form
(session, CSRF, the incident's own permission check, a form kept across an expired session).
Making it private keeps the person who does it and the people already paged for it, as the API
does (``POST /api/v1/incidents/{ref}/visibility``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.errors import Unauthenticated
from plantao.incidents import privacy
from plantao.incidents.models import Incident
from plantao.oncall.models import Page
from plantao.people.models import User
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)


def _set(session: Session, incident: Incident, who: Principal, private: bool) -> None:
    actor = session.get(User, who.user_id)
    if actor is None:  # the account went away while the form was sent
        raise Unauthenticated("log in again")
    paged = list(session.scalars(select(Page.user_id).where(Page.incident_id == incident.id)))
    privacy.set_private(session, incident, private, actor=actor, keep=paged)


@router.post("/incidents/{ref}/visibility", response_model=None)
def visibility_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    private: Annotated[str, Form(max_length=8)] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    """``private=1`` makes it private, anything else public."""
    wanted = private == "1"
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda incident, who: _set(session, incident, who, wanted),
        post=FormPost("visibility", {"private": "1" if wanted else "0"}, pending),
    )
