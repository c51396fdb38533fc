"""The incident page's Roles card (seed 002 RACI): who wears each hat, and the forms that assign,
hand over (with the IC hand-off) and remove a role.

The forms go through :func:`plantao.web.incident_pages.change_incident`, so they share the
session, CSRF and role checks, the in-place error banner that keeps what was typed, and the
expired-session handling of every incident form. The card's data is
:func:`plantao.web.role_card.roles_context`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.command import roles
from plantao.incidents.models import Incident
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)


@router.post("/incidents/{ref}/roles", response_model=None)
def assign_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    holder: Annotated[str, Form()] = "",
    handoff_context: Annotated[str, Form()] = "",
    handoff_status: Annotated[str, Form()] = "",
    handoff_next_steps: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    def change(incident: Incident, who: Principal) -> None:
        roles.check_role(role)
        person = roles.person(session, holder)
        handoff = roles.Handoff(
            context=handoff_context, status=handoff_status, next_steps=handoff_next_steps
        )
        roles.assign(
            session,
            incident,
            role,
            person,
            actor=who.actor,
            handoff=handoff if role == roles.IC else None,
        )

    fields = {
        "role": role,
        "holder": holder,
        "handoff_context": handoff_context,
        "handoff_status": handoff_status,
        "handoff_next_steps": handoff_next_steps,
    }
    return change_incident(
        request, session, csrf, ref, change, post=FormPost("role", fields, pending)
    )


@router.post("/incidents/{ref}/roles/remove", response_model=None)
def remove_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    holder: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    def change(incident: Incident, who: Principal) -> None:
        roles.check_role(role)
        person = roles.person(session, holder) if holder else None
        roles.unassign(session, incident, role, person, actor=who.actor)

    return change_incident(
        request,
        session,
        csrf,
        ref,
        change,
        post=FormPost("role_remove", {"role": role, "holder": holder}, pending),
    )
