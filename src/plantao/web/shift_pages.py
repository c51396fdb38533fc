"""The "my shift" page (``/shift``): the checklist of each schedule the viewer is on call on,
"send a test page to yourself" with its result per contact method, and the routine tasks
assigned to them — seed 003 §7 and §11 in one place for whoever holds the pager.

Forms post back here and answer 303 to ``/shift`` (so a reload does not resend); a refused
form (not on call: 409, a test page within the minute: 409, no contact method: 422) renders
the page again with the reason. Same use cases as the API (``api/shift_routes.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import Conflict, DomainError, NotFound, PermissionDenied
from plantao.oncall import routines, self_test_pages, shift_checklists
from plantao.oncall.routine_models import Routine, RoutineTask
from plantao.oncall.shift_checklist_defaults import PHASES, label
from plantao.web import admin_common, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Note = Annotated[str, Form(max_length=4000)]


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    language = rendering.lang(request)
    shifts = []
    for shift in shift_checklists.my_shifts(session, principal.handle):
        phases = [
            (
                phase,
                [
                    (item["key"], label(item, language), shift.ticked.get(item["key"]))
                    for item in shift.items
                    if item["phase"] == phase
                ],
            )
            for phase in PHASES
        ]
        shifts.append({"shift": shift, "phases": [p for p in phases if p[1]]})
    mine = routines.tasks(session, assignee_user_id=principal.user_id, limit=20)
    return admin_common.page(
        request,
        "shifts/my_shift.html",
        principal,
        status_code=status_code,
        shifts=shifts,
        test_page=self_test_pages.latest(session, principal.user_id),
        open_tasks=[(t, r) for t, r in mine if t.done_at is None],
        done_tasks=[(t, r) for t, r in mine if t.done_at is not None][:5],
        error=error,
        notice=notice,
    )


@router.get("/shift", response_class=HTMLResponse, response_model=None)
def my_shift_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    notice = None
    if request.query_params.get("sent") == "1":
        notice = TEXTS[rendering.lang(request)]["sh_test_sent"]
    return _page(request, session, principal, notice=notice)


def _refused(request: Request, session: Session, who: Principal, exc: DomainError) -> Response:
    session.rollback()
    return _page(request, session, who, error=exc.detail, status_code=exc.status)


@router.post("/shift/{schedule}/ticks/{item}", response_model=None)
def tick_form(
    schedule: Slug,
    item: Slug,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    action: Annotated[str, Form(max_length=8)] = "tick",
) -> Response:
    """Tick (``action=tick``) or untick an item of the viewer's current shift."""
    who = rendering.writer(request, session, csrf, Need.READ)
    if isinstance(who, Response):
        return who
    try:
        if action == "untick":
            shift_checklists.untick(session, schedule, item, handle=who.handle)
        else:
            shift_checklists.tick(session, schedule, item, user_id=who.user_id, handle=who.handle)
    except (Conflict, NotFound) as exc:
        return _refused(request, session, who, exc)
    session.commit()
    return RedirectResponse(f"/shift#item-{schedule}-{item}", status_code=303)


@router.post("/shift/test-page", response_model=None)
def test_page_form(request: Request, session: SessionDep, csrf: Annotated[str, Form()]) -> Response:
    """Send a test page to every contact method of the viewer."""
    who = rendering.writer(request, session, csrf, Need.READ)
    if isinstance(who, Response):
        return who
    try:
        self_test_pages.send(
            session, who.user_id, requested_by=who.handle, language=rendering.lang(request)
        )
    except DomainError as exc:
        return _refused(request, session, who, exc)
    session.commit()
    return RedirectResponse("/shift?sent=1#test-page", status_code=303)


@router.post("/routine-tasks/{task_id}/done", response_model=None)
def done_form(
    task_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    note: Note = "",
) -> Response:
    """Mark a routine task done: its assignee, or a responder of the routine's team."""
    who = rendering.writer(request, session, csrf, Need.READ)
    if isinstance(who, Response):
        return who
    task = session.get(RoutineTask, task_id)
    if task is None:
        raise NotFound(f"routine task RT-{task_id} does not exist")
    routine = session.get(Routine, task.routine_id)
    assert routine is not None
    if task.assignee_user_id != who.user_id and not who.can(Need.RESPOND, routine.team_id):
        raise PermissionDenied("this is the assignee's task, or a responder's of its team")
    try:
        routines.mark_done(session, task_id, actor=who.handle, note=note)
    except Conflict as exc:
        return _refused(request, session, who, exc)
    session.commit()
    return RedirectResponse("/shift#tasks", status_code=303)
