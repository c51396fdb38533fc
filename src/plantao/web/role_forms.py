"""The incident page's Roles card (seed 002 RACI): who wears each hat, and the forms that assign,
hand over (with the IC hand-off) and remove a role.

The forms go through :func:`plantao.web.incident_pages.change_incident`, so they share the
session, CSRF and role checks, the in-place error banner that keeps what was typed, and the
expired-session handling of every incident form. The card's data is
:func:`plantao.web.role_card.roles_context`. The refusals people meet here (a second hat, an
unknown person, a role someone no longer holds: a stale tab) are worded in the reader's
language; a role no longer held is a 409 on the page, not a 404 page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.command import roles
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents.models import Incident
from plantao.statuspage import sev1_prompt
from plantao.web import rendering
from plantao.web.i18n import TEXTS
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)

_SECOND_HAT = re.compile(r"^(\S+) is already the (\w+) of \S+: one hat per person")
_NO_PERSON = re.compile(r"^user: nobody active is called '(.*)'$")
_NOT_HOLDER = re.compile(r"^(\S+ is not|nobody is) the (\w+) of \S+$")


@contextmanager
def _in_words(request: Request) -> Iterator[None]:
    """Re-raise the role rules' refusals worded for the reader (``cmd_err_*``)."""
    t = TEXTS[rendering.lang(request)]
    try:
        yield
    except (Conflict, ValidationFailed, NotFound) as exc:
        if found := _SECOND_HAT.match(exc.detail):
            user, role = found.groups()
            raise Conflict(t["cmd_err_second_hat"].format(user=user, role=_role(t, role))) from None
        if found := _NO_PERSON.match(exc.detail):
            raise ValidationFailed(t["cmd_err_no_person"].format(user=found.group(1))) from None
        if found := _NOT_HOLDER.match(exc.detail):
            raise Conflict(t["cmd_err_not_holder"].format(role=_role(t, found.group(2)))) from None
        raise


def _role(t: dict[str, str], role: str) -> str:
    return t.get(f"cmd_role_{role}", role)


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
        with _in_words(request):
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
        sev1_prompt.prompt_sev1(session, [incident])  # a Sev1's new Comms Lead or IC is asked

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
        with _in_words(request):
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
