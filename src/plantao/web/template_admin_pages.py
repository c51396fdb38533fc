"""The message-template editor for managers and admins: every template in both languages,
and per template a form to change its wording or go back to the shipped text.

A save that does not render for every sample incident (an unknown variable, an optional fact
used without ``{% if %}``, a syntax error) is refused with the error and its line, and the page
keeps what was typed (422); nothing is stored. Each page shows the variables templates may use
(read from the facts' own fields, so the list cannot drift) and the current text rendered for a
sample Sev1 incident.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.comms import facts as comms_facts
from plantao.comms import overrides, samples
from plantao.comms import render as comms_render
from plantao.comms.render import Source
from plantao.errors import NotFound, ValidationFailed
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)
BASE = "/admin/templates"
_SHAPES: tuple[tuple[str, type], ...] = (
    ("incident", comms_facts.IncidentFacts),
    ("update / incident.latest / incident.history[]", comms_facts.UpdateFacts),
    ("update.next_steps[]", comms_facts.NextStep),
    ("incident.notes[]", comms_facts.Note),
    ("incident.escalation", comms_facts.EscalationAsk),
    ("incident.data_loss", comms_facts.DataLoss),
)


def variables() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every variable a template may name, with its type, grouped by where it lives."""
    return [(label, [(f.name, str(f.type)) for f in fields(shape)]) for label, shape in _SHAPES]


def _known(name: str, language: str) -> None:
    comms_render.check_name(name)
    if language not in comms_render.LANGUAGES:
        raise NotFound(f"no language '{language}'; use {', '.join(comms_render.LANGUAGES)}")


def _sample(source: Source, language: str) -> tuple[str | None, str | None]:
    """The source rendered for a sample Sev1 incident; or the error it meets."""
    facts = samples.full("sev1", "P0", 15, resolved=False)
    try:
        out = comms_render.render_source(source, language, facts)
    except ValidationFailed as exc:
        return None, exc.detail
    return f"{out.subject}\n\n{out.text}", None


@router.get(BASE, response_class=HTMLResponse, response_model=None)
def templates_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.MANAGE)
    if isinstance(principal, Response):
        return principal
    return admin_common.page(
        request,
        "admin/templates.html",
        principal,
        states=overrides.listing(session),
        reset=request.query_params.get("reset") == "1",
    )


def _edit(
    request: Request,
    session: SessionDep,
    principal: Principal,
    name: str,
    language: str,
    *,
    typed: Source | None = None,
    error: str | None = None,
) -> HTMLResponse:
    settings = request.app.state.settings
    row = overrides.get(session, name, language)
    shipped = comms_render.shipped(name, language, settings.notify_template_dir)
    current = Source(row.subject, row.body) if row else shipped
    sample, sample_error = _sample(current, language)
    context: dict[str, Any] = {
        "template": name,
        "language": language,
        "row": row,
        "shipped": shipped,
        "form": typed or current,
        "error": error,
        "sample": sample,
        "sample_error": sample_error,
        "variables": variables(),
        "saved": request.query_params.get("saved") == "1",
    }
    return admin_common.page(
        request,
        "admin/template_edit.html",
        principal,
        status_code=422 if error else 200,
        **context,
    )


@router.get(BASE + "/{name}/{language}", response_class=HTMLResponse, response_model=None)
def edit_page(name: str, language: str, request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.MANAGE)
    if isinstance(principal, Response):
        return principal
    _known(name, language)
    return _edit(request, session, principal, name, language)


@router.post(BASE + "/{name}/{language}", response_model=None)
def save_form(
    name: str,
    language: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    subject: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    _known(name, language)
    typed = Source(subject, body)
    try:
        overrides.save(session, name, language, typed, actor=who.audit_actor)
        session.commit()
    except ValidationFailed as exc:
        session.rollback()
        return _edit(request, session, who, name, language, typed=typed, error=exc.detail)
    return RedirectResponse(f"{BASE}/{quote(name)}/{quote(language)}?saved=1", status_code=303)


@router.post(BASE + "/{name}/{language}/reset", response_model=None)
def reset_form(
    name: str,
    language: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    _known(name, language)
    if overrides.get(session, name, language) is not None:
        overrides.delete(session, name, language, actor=who.audit_actor)
        session.commit()
    return RedirectResponse(f"{BASE}?reset=1", status_code=303)
