"""Shift handoff pages: the list (``/handoffs?schedule=<slug>``), one handoff
(``/handoffs/{id}``) with its text as the viewer's language words it, and the outgoing
person's two forms: notes (``POST /handoffs/{id}/notes``) and "send now"
(``POST /handoffs/{id}/send``).

Same use cases and rules as the API (``oncall.handoff_editing``): everyone who reads may look;
the outgoing person, a manager of the schedule's team or an admin may change a draft. A refused
form renders the page again with the error and the notes as typed, so nothing typed is lost.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.errors import DomainError, NotFound
from plantao.oncall import handoff_editing, schedules
from plantao.oncall.handoff_facts import HandoffFacts
from plantao.oncall.handoff_models import Handoff
from plantao.web import admin_common, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

_TYPED_MAX = 64
Notes = Annotated[str, Form(max_length=handoff_editing.MAX_NOTES + 1000)]


def _row(row: Handoff) -> dict[str, Any]:
    facts = HandoffFacts.from_dict(row.facts)
    return {"row": row, "facts": facts, "schedule": facts.schedule_name, "slug": facts.schedule}


@router.get("/handoffs", response_class=HTMLResponse, response_model=None)
def list_page(request: Request, session: SessionDep, schedule: str | None = None) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    typed = (schedule or "").strip()[:_TYPED_MAX]
    error = None
    status = 200
    try:
        rows = handoff_editing.list_for(session, typed or None)
    except NotFound as exc:
        rows, error, status = [], str(exc), 404
    return admin_common.page(
        request,
        "handoffs/list.html",
        principal,
        status_code=status,
        schedules=schedules.list_schedules(session),
        typed_schedule=typed,
        handoffs=[_row(r) for r in rows],
        error=error,
    )


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    row: Handoff,
    *,
    typed_notes: str | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    text = handoff_editing.text_of(row, rendering.lang(request))
    editable = row.status == "draft" and handoff_editing.can_edit(session, row, principal)
    return admin_common.page(
        request,
        "handoffs/detail.html",
        principal,
        status_code=status_code,
        item=_row(row),
        text=text,
        editable=editable,
        typed_notes=row.notes if typed_notes is None else typed_notes,
        error=error,
        notice=notice,
    )


@router.get("/handoffs/{handoff_id}", response_class=HTMLResponse, response_model=None)
def detail_page(
    request: Request, session: SessionDep, handoff_id: Id, done: str | None = None
) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    row = handoff_editing.get(session, handoff_id)
    t = TEXTS[rendering.lang(request)]
    notice = {"notes": t["ho_saved"], "send": t["ho_queued"]}.get(done or "")
    return _detail(request, session, principal, row, notice=notice)


@router.post("/handoffs/{handoff_id}/notes", response_model=None)
def notes_form(
    request: Request,
    session: SessionDep,
    handoff_id: Id,
    csrf: Annotated[str, Form()],
    notes: Notes = "",
) -> Response:
    who = rendering.writer(request, session, csrf)
    if isinstance(who, Response):
        return who
    row = handoff_editing.get(session, handoff_id, lock=True)
    try:
        handoff_editing.edit_notes(session, row, who, notes)
    except DomainError as exc:
        session.rollback()
        row = handoff_editing.get(session, handoff_id)
        return _detail(
            request,
            session,
            who,
            row,
            typed_notes=notes,
            error=str(exc),
            status_code=exc.status,
        )
    session.commit()
    return RedirectResponse(f"/handoffs/{handoff_id}?done=notes", status_code=303)


@router.post("/handoffs/{handoff_id}/send", response_model=None)
def send_form(
    request: Request, session: SessionDep, handoff_id: Id, csrf: Annotated[str, Form()]
) -> Response:
    who = rendering.writer(request, session, csrf)
    if isinstance(who, Response):
        return who
    row = handoff_editing.get(session, handoff_id, lock=True)
    try:
        handoff_editing.send_now(session, row, who)
    except DomainError as exc:
        session.rollback()
        row = handoff_editing.get(session, handoff_id)
        return _detail(request, session, who, row, error=str(exc), status_code=exc.status)
    session.commit()
    return RedirectResponse(f"/handoffs/{handoff_id}?done=send", status_code=303)
