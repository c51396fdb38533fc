"""The incident page's responders forms: page a person, a schedule's on-call or a policy's
first step (``plantao.command.responders.add``), acknowledge one's own page, join.

Each goes through :func:`plantao.web.incident_pages.change_incident` (session, CSRF, the
incident's own permission check, error pages, a form kept across an expired session). A
refusal from the use case is re-worded in the reader's language here, so the page's banner says
"schedule 'dba' has nobody on call now" in pt-BR too; nothing was changed or paged.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.command import responders
from plantao.errors import Conflict, DomainError, NotFound, ValidationFailed
from plantao.incidents.models import Incident
from plantao.web import rendering
from plantao.web.i18n import TEXTS
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)

#: The use case's refusals, as the reader reads them (``rsp_err_*``, groups as arguments).
_MESSAGES = (
    (re.compile(r"^nobody was paged: schedule '(.*)' has nobody on call now$"), "nobody_schedule"),
    (
        re.compile(r"^nobody was paged: the first step of escalation policy '(.*?)' reaches"),
        "nobody_policy",
    ),
    (re.compile(r"^(.*) (?:is already a responder|are already responders) on \S+$"), "already"),
    (re.compile(r"^user '(.*)' does not exist or is disabled$"), "gone"),
    (re.compile(r"^(?:schedule|escalation policy) '(.*)' does not exist$"), "gone"),
    (re.compile(r"^give exactly one of user, schedule or policy$"), "choose"),
    (re.compile(r"^\S+ is \w+; reopen it to add responders$"), "over"),
    (re.compile(r"^message: at most (\d+) characters$"), "message_long"),
)


def _worded(exc: DomainError, texts: dict[str, str]) -> DomainError:
    """The same refusal (a 404 becomes a 422: the page shows what was typed), in words."""
    for pattern, key in _MESSAGES:
        found = pattern.match(exc.detail)
        if found:
            detail = texts[f"rsp_err_{key}"].format(*found.groups())
            return Conflict(detail) if isinstance(exc, Conflict) else ValidationFailed(detail)
    return ValidationFailed(exc.detail) if isinstance(exc, NotFound) else exc


def _add(
    session: Session,
    incident: Incident,
    who: Principal,
    target: str,
    message: str,
    texts: dict[str, str],
) -> None:
    kind, _, name = target.strip().partition(":")
    sources = {k: (name if k == kind else None) for k in ("user", "schedule", "policy")}
    try:
        responders.add(
            session,
            incident,
            user=sources["user"],
            schedule=sources["schedule"],
            policy=sources["policy"],
            actor=who.actor,
            message=message,
        )
    except (NotFound, Conflict, ValidationFailed) as exc:
        raise _worded(exc, texts) from None


@router.post("/incidents/{ref}/responders", response_model=None)
def responder_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    target: Annotated[str, Form()] = "",
    message: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    texts = TEXTS[rendering.lang(request)]
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: _add(session, inc, who, target, message, texts),
        post=FormPost("responder", {"target": target, "message": message}, pending),
    )


@router.post("/incidents/{ref}/responders/acknowledge", response_model=None)
def acknowledge_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    """The reader answers their own page."""
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: responders.acknowledge(
            session, inc, responders.person(session, who.handle)
        ),
        post=FormPost("responder_ack", {}, pending),
    )


@router.post("/incidents/{ref}/join", response_model=None)
def join_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    """The reader is working on the incident."""
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: responders.join(session, inc, responders.person(session, who.handle)),
        post=FormPost("join", {}, pending),
    )
