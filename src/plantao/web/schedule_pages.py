"""Schedules: the list, one schedule's two-week timeline and overrides, and the override forms.

Overrides follow the on-call rule (``oncall.service.override_need``): a responder on a team the
schedule pages may put themselves on call; putting someone else on call, or deleting another
person's override, needs a manager. The form offers only what the reader may do, and the post
checks again. A refused or invalid override re-renders the page with what was typed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import ValidationFailed
from plantao.oncall import service as oncall_service
from plantao.oncall.models import ScheduleOverride
from plantao.people import directory
from plantao.web import oncall_times, rendering, schedule_view
from plantao.web.i18n import TEXTS
from plantao.web.oncall_pages import STYLESHEET, boards
from plantao.web.oncall_times import Moment

router = APIRouter(include_in_schema=False)
schedules = oncall_service.schedules
KINDS = ("replace", "add")


@dataclass(frozen=True)
class OverrideView:
    id: int
    kind: str
    user: str | None
    replaces: str | None
    layer: str | None
    start: Moment
    end: Moment
    created_by: str
    active: bool
    can_delete: bool


@dataclass(frozen=True)
class OverrideForm:
    user: str = ""
    kind: str = "replace"
    replaces: str = ""
    start: str = ""
    end: str = ""


@router.get("/schedules", response_class=HTMLResponse, response_model=None)
def schedules_page(request: Request, session: SessionDep) -> Response:
    """Every schedule: who is on call now and next, and its final two weeks at a glance."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    tz = oncall_times.zone(principal.time_zone)
    now = clock.now()
    start = _window_start(None, now, principal.time_zone)
    timelines = {
        row.slug: schedule_view.timeline(schedules.to_pure(session, row), start, now, tz)
        for row in schedules.list_schedules(session)
    }
    return rendering.render(
        request,
        "oncall/schedules.html",
        principal,
        stylesheet=STYLESHEET,
        schedules=list(boards(session, principal.time_zone).values()),
        timelines=timelines,
        time_zone=tz.key,
    )


def _window_start(raw: str | None, now: datetime, tz_name: str) -> datetime:
    """Local midnight of ``?from=YYYY-MM-DD`` (default: today) in the viewer's zone."""
    tz = oncall_times.zone(tz_name)
    day = now.astimezone(tz).date()
    if raw:
        with contextlib.suppress(ValueError):  # a bad ?start= shows today
            day = datetime.strptime(raw, "%Y-%m-%d").date()
    parsed = oncall_times.parse_local(f"{day:%Y-%m-%d}T00:00", tz)
    assert parsed is not None
    return parsed


def schedule_page(
    request: Request,
    session: Session,
    principal: Principal,
    slug: str,
    *,
    start_day: str | None = None,
    form: OverrideForm | None = None,
    error: str | None = None,
) -> Response:
    row = schedules.get(session, slug)
    tz = oncall_times.zone(principal.time_zone)
    now = clock.now()
    start = _window_start(start_day, now, principal.time_zone)
    pure = schedules.to_pure(session, row)
    teams = oncall_service.schedule_team_ids(session, slug)
    can_self = oncall_service.may_act(principal, Need.RESPOND, teams)
    can_manage = oncall_service.may_act(principal, Need.MANAGE, teams)
    overrides = [
        _override_view(o, now, tz, principal, teams)
        for o in schedules.list_overrides(session, slug)
        if o.ends_at > now
    ]
    participants = sorted(schedule_view.colours(pure))
    people = [u.handle for u in directory.list_users(session, kind="user") if not u.disabled_at]
    default = OverrideForm(
        user=principal.handle,
        start=oncall_times.to_input(now, tz),
        end=oncall_times.to_input(now + timedelta(hours=1), tz),
    )
    return rendering.render(
        request,
        "oncall/schedule.html",
        principal,
        status_code=422 if error else 200,
        stylesheet=STYLESHEET,
        schedule=row,
        board=schedule_view.now_and_next(pure, now, tz),
        timeline=schedule_view.timeline(pure, start, now, tz),
        earlier=f"{(start - timedelta(days=14)).astimezone(tz):%Y-%m-%d}",
        later=f"{(start + timedelta(days=14)).astimezone(tz):%Y-%m-%d}",
        overrides=overrides,
        can_self=can_self,
        can_manage=can_manage,
        people=people if can_manage else [principal.handle],
        participants=participants,
        form=form or default,
        error=error,
        time_zone=tz.key,
    )


def _override_view(
    row: ScheduleOverride,
    now: datetime,
    tz: ZoneInfo,
    principal: Principal,
    teams: set[int],
) -> OverrideView:
    need = oncall_service.override_need(row.kind, row.user, principal.handle)
    return OverrideView(
        id=row.id,
        kind=row.kind,
        user=row.user,
        replaces=row.replaces,
        layer=row.layer,
        start=oncall_times.moment(row.starts_at, tz),
        end=oncall_times.moment(row.ends_at, tz),
        created_by=row.created_by,
        active=row.starts_at <= now,
        can_delete=oncall_service.may_act(principal, need, teams),
    )


@router.get("/schedules/{slug}", response_class=HTMLResponse, response_model=None)
def one_schedule_page(
    slug: str, request: Request, session: SessionDep, start: str | None = None
) -> Response:
    """One schedule: now and next, two weeks of layers and final result, overrides."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    return schedule_page(request, session, principal, slug, start_day=start)


def _check(form: OverrideForm, tz: ZoneInfo) -> tuple[datetime, datetime] | str:
    """The override's period, or the text key of what is wrong with the form."""
    if form.kind not in KINDS:
        return "oc_err_kind"
    if not form.user:
        return "oc_err_user"
    start = oncall_times.parse_local(form.start, tz)
    end = oncall_times.parse_local(form.end, tz)
    if start is None or end is None:
        return "oc_err_time"
    if end <= start:
        return "oc_err_order"
    return start, end


@router.post("/schedules/{slug}/overrides", response_model=None)
def create_override_form(
    slug: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    user: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "replace",
    replaces: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.RESPOND)
    if isinstance(who, Response):
        return who
    form = OverrideForm(user.strip(), kind, replaces.strip(), start, end)
    schedules.get(session, slug)  # 404 before anything else
    oncall_service.require_override(session, who, slug, kind=form.kind, user=form.user or None)
    texts = TEXTS[rendering.lang(request)]
    period = _check(form, oncall_times.zone(who.time_zone))
    if isinstance(period, str):
        return schedule_page(request, session, who, slug, form=form, error=texts[period])
    try:
        oncall_service.add_override(
            session,
            slug,
            kind=form.kind,
            start=period[0],
            end=period[1],
            user=form.user,
            replaces=form.replaces or None,
            actor=who.audit_actor,
        )
    except ValidationFailed as exc:
        session.rollback()
        message = texts["oc_err_unknown_user"] if "unknown user" in str(exc) else str(exc)
        return schedule_page(request, session, who, slug, form=form, error=message)
    session.commit()
    return RedirectResponse(f"/schedules/{slug}", status_code=303)


@router.post("/schedules/{slug}/overrides/{override_id}/delete", response_model=None)
def delete_override_form(
    slug: str,
    override_id: int,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    who = rendering.writer(request, session, csrf, Need.RESPOND)
    if isinstance(who, Response):
        return who
    found = session.get(ScheduleOverride, override_id)
    kind, user = (found.kind, found.user) if found is not None else ("remove", None)
    oncall_service.require_override(session, who, slug, kind=kind, user=user)
    oncall_service.delete_override(session, slug, override_id, actor=who.audit_actor)
    session.commit()
    return RedirectResponse(f"/schedules/{slug}", status_code=303)
