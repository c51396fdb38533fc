"""The forms of the postmortem pages: start one from the incident page, edit the text (Preview
renders it beside the form without saving; Save stores a new version), owner and
classification, ask for review, a reviewer's decision, publish and reopen.

Every form checks the session and CSRF token, then the incident's own permission check (someone
added to the incident as a responder may edit whatever their role elsewhere). The editor
answers its own errors in place, keeping the typed text: a save on a version someone else
replaced in the meantime (409) shows the typed text with the current version under it. The
other forms' refusals are the shared error pages, which show the typed fields back.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.errors import Conflict, PermissionDenied, ValidationFailed
from plantao.incidents import access as incident_access
from plantao.postmortems import access, editing, publishing, reading, reviewing
from plantao.runbooks.render import to_html
from plantao.web import rendering
from plantao.web.postmortem_view import page_context

router = APIRouter(include_in_schema=False)


def _writer(request: Request, session: SessionDep, csrf: str) -> Principal | Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    rendering.check_csrf(request, csrf)
    return principal


def _back(pm_id: int, query: str = "") -> RedirectResponse:
    return RedirectResponse(f"/postmortems/{pm_id}{query}", status_code=303)


@router.post("/incidents/{ref}/postmortem", response_model=None)
def start_form(
    ref: str, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    """Start the incident's postmortem (or open the one it has)."""
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    incident = incident_access.get_to_act(session, ref, principal)
    pm, _created = editing.start(
        session, incident, actor=principal.actor, language=rendering.lang(request)
    )
    session.commit()
    return _back(pm.id)


@router.post("/postmortems/{pm_id}/edit", response_model=None)
def edit_form(
    pm_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    markdown: Annotated[str, Form()] = "",
    base_version: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form()] = "",
    intent: Annotated[str, Form(max_length=16)] = "save",
) -> Response:
    """Preview (render the typed text and its warnings, save nothing) or save a new version."""
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    language = rendering.lang(request)
    pm, incident = access.to_act(session, pm_id, principal)
    typed = {"markdown": markdown, "base_version": base_version, "note": note}
    if intent == "preview":
        context = page_context(session, principal, pm, incident, language)
        session.rollback()  # nothing to write; let go of the incident's lock
        context |= {
            "form": typed,
            "preview": to_html(markdown),
            "lint": reading.lint(markdown, language),
        }
        return rendering.render(request, "postmortems/edit.html", principal, **context)
    try:
        base = int(base_version) if base_version.strip().isdigit() else -1
        row = editing.save(
            session, pm, markdown, base_version=base, actor=principal.actor, note=note
        )
        session.commit()
    except (Conflict, ValidationFailed) as exc:
        session.rollback()
        pm, incident = access.to_read(session, pm_id, principal)
        context = page_context(session, principal, pm, incident, language)
        conflict = isinstance(exc, Conflict) and pm.status != "published"
        context |= {
            "form": {**typed, "base_version": pm.version} if conflict else typed,
            "lint": reading.lint(markdown, language),
            "error": {"detail": exc.detail, "conflict": conflict, "version": pm.version},
        }
        return rendering.render(
            request, "postmortems/edit.html", principal, status_code=exc.status, **context
        )
    return _back(pm_id, f"?saved={row.version if row is not None else 'same'}")


@router.post("/postmortems/{pm_id}/details", response_model=None)
def details_form(
    pm_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    owner: Annotated[str, Form(max_length=64)] = "",
    root_cause: Annotated[str, Form(max_length=32)] = "",
    cause_change: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Owner, root cause (seed 002's taxonomy) and the change that caused the incident."""
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    pm, incident = access.to_act(session, pm_id, principal)
    if owner.strip():
        editing.set_owner(session, pm, owner, actor=principal.actor)
    editing.set_root_cause(session, pm, root_cause or None)
    change_id = int(cause_change) if cause_change.strip().isdigit() else None
    if change_id is not None and change_id > access.MAX_ID:
        raise ValidationFailed("no such change", errors=[{"field": "cause_change"}])
    editing.set_cause_change(session, pm, incident, change_id)
    session.commit()
    return _back(pm_id)


@router.post("/postmortems/{pm_id}/submit", response_model=None)
def submit_form(
    pm_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    reviewers: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    pm, incident = access.to_act(session, pm_id, principal)
    handles = [h for h in re.split(r"[\s,;]+", reviewers) if h]
    reviewing.submit(
        session, pm, incident, handles, actor=principal.actor, actor_user_id=principal.user_id
    )
    session.commit()
    return _back(pm_id)


@router.post("/postmortems/{pm_id}/review", response_model=None)
def review_form(
    pm_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    """A requested reviewer's decision on the current version."""
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    pm, _incident = access.to_review(session, pm_id, principal)
    if all(r.row.reviewer_user_id != principal.user_id for r in reviewing.reviews(session, pm)):
        raise PermissionDenied("only the people asked to review this postmortem decide on it")
    reviewing.decide(
        session,
        pm,
        reviewer_user_id=principal.user_id,
        actor=principal.actor,
        decision=decision,
        comment=comment,
    )
    session.commit()
    return _back(pm_id)


@router.post("/postmortems/{pm_id}/publish", response_model=None)
def publish_form(
    pm_id: Id, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    pm, _incident = access.to_act(session, pm_id, principal)
    publishing.publish(session, pm, actor=principal.actor)
    session.commit()
    return _back(pm_id)


@router.post("/postmortems/{pm_id}/reopen", response_model=None)
def reopen_form(
    pm_id: Id, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    principal = _writer(request, session, csrf)
    if isinstance(principal, Response):
        return principal
    pm, _incident = access.to_act(session, pm_id, principal)
    publishing.reopen(session, pm, actor=principal.actor)
    session.commit()
    return _back(pm_id)
