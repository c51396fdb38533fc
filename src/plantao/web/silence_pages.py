"""Silences and maintenance windows: what is muted now or soon, and the forms to mute or unmute.

A silence is reactive (label matchers, starting now, for a while); a maintenance window is
planned (named services, a start and an end typed in the reader's zone). Both are rows of
``oncall_silences`` (see ``oncall.window_store``), both need a manager on every team they
silence, and both are audited by the store. The file's windows are listed but changed only in
``plantao.yaml``. An invalid form re-renders the page with what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from plantao.catalog import service as catalog_service
from plantao.errors import NotFound, ValidationFailed
from plantao.matchers import MatcherListError, check_matchers
from plantao.oncall import service as oncall_service
from plantao.oncall import window_store
from plantao.oncall.models import Silence
from plantao.web import oncall_times, rendering
from plantao.web.i18n import TEXTS
from plantao.web.oncall_pages import STYLESHEET
from plantao.web.oncall_times import Moment

router = APIRouter(include_in_schema=False)
DEFAULT_LENGTH = "2h"


@dataclass(frozen=True)
class MutedView:
    id: int
    name: str
    origin: str
    services: list[str]
    matchers: list[str]
    comment: str
    created_by: str
    start: Moment | None
    end: Moment | None
    recurrence: dict[str, object] | None
    active: bool
    can_end: bool


@dataclass(frozen=True)
class SilenceForm:
    name: str = ""
    matchers: str = ""
    length: str = DEFAULT_LENGTH
    until: str = ""
    comment: str = ""


@dataclass(frozen=True)
class WindowForm:
    name: str = ""
    services: list[str] = field(default_factory=list)
    matchers: str = ""
    start: str = ""
    end: str = ""
    comment: str = ""


def _view(
    row: Silence, now: datetime, tz: ZoneInfo, principal: Principal, teams_of: dict[str, int]
) -> MutedView:
    teams = {teams_of[s] for s in row.services if s in teams_of}
    return MutedView(
        id=row.id,
        name=row.name,
        origin=row.origin,
        services=list(row.services),
        matchers=list(row.matchers),
        comment=row.comment,
        created_by=row.created_by,
        start=None if row.starts_at is None else oncall_times.moment(row.starts_at, tz),
        end=None if row.ends_at is None else oncall_times.moment(row.ends_at, tz),
        recurrence=row.recurrence,
        active=window_store.to_window(row).active_until(now) is not False,
        can_end=row.origin != "config"
        and oncall_service.may_act(principal, Need.MANAGE, teams, every=True),
    )


def silences_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    silence_form: SilenceForm | None = None,
    window_form: WindowForm | None = None,
    silence_error: str | None = None,
    window_error: str | None = None,
) -> Response:
    tz = oncall_times.zone(principal.time_zone)
    now = clock.now()
    services = catalog_service.list_services(session)
    teams_of = {s.slug: s.team_id for s in services if s.team_id is not None}
    current = window_store.current_rows(session, now)
    rows = [(window_store.kind_of(r), _view(r, now, tz, principal, teams_of)) for r in current]
    start = now.replace(second=0, microsecond=0)
    return rendering.render(
        request,
        "oncall/silences.html",
        principal,
        status_code=422 if silence_error or window_error else 200,
        stylesheet=STYLESHEET,
        silences=[view for kind, view in rows if kind == "silence"],
        windows=[view for kind, view in rows if kind == "maintenance_window"],
        can_manage=principal.can(Need.MANAGE),
        services=services,
        silence_form=silence_form or SilenceForm(),
        window_form=window_form
        or WindowForm(
            start=oncall_times.to_input(start, tz),
            end=oncall_times.to_input(start + timedelta(hours=2), tz),
        ),
        silence_error=silence_error,
        window_error=window_error,
        time_zone=tz.key,
    )


@router.get("/silences", response_class=HTMLResponse, response_model=None)
def active_silences_page(request: Request, session: SessionDep) -> Response:
    """Active and upcoming silences and maintenance windows, with the forms for managers."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    return silences_page(request, session, principal)


def _matchers(text: str) -> list[str] | str:
    """One matcher per line; the error text (with the line number) when one is malformed."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    try:
        check_matchers(lines)
    except MatcherListError as exc:
        return f"{exc.index + 1}: {exc.message}"
    return lines


@router.post("/silences", response_model=None)
def create_silence_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    matchers: Annotated[str, Form()] = "",
    length: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    oncall_service.require_window(session, who, [])
    texts = TEXTS[rendering.lang(request)]
    form = SilenceForm(name.strip(), matchers, length.strip(), until.strip(), comment.strip())

    def again(key: str, detail: str = "") -> Response:
        message = texts[key] + (f" ({detail})" if detail else "")
        return silences_page(request, session, who, silence_form=form, silence_error=message)

    parsed = _matchers(form.matchers)
    if isinstance(parsed, str):
        return again("oc_err_matchers", parsed)
    if not parsed:
        return again("oc_err_no_matchers")
    now = clock.now()
    if form.until:
        ends = oncall_times.parse_local(form.until, oncall_times.zone(who.time_zone))
        if ends is None:
            return again("oc_err_time")
    else:
        span = oncall_times.parse_length(form.length or DEFAULT_LENGTH)
        if span is None:
            return again("oc_err_length")
        ends = now + span
    if ends <= now:
        return again("oc_err_past")
    try:
        window_store.create(
            session,
            name=form.name or ", ".join(parsed)[:200],
            starts_at=None,
            ends_at=ends,
            services=[],
            matchers=parsed,
            comment=form.comment[:2000],
            actor=who.audit_actor,
        )
    except ValidationFailed as exc:
        session.rollback()
        return again("oc_err_rejected", str(exc))
    session.commit()
    return RedirectResponse("/silences", status_code=303)


@router.post("/silences/windows", response_model=None)
def create_window_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    services: Annotated[list[str] | None, Form()] = None,
    matchers: Annotated[str, Form()] = "",
    start: Annotated[str, Form()] = "",
    end: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    chosen = sorted({s.strip() for s in services or [] if s.strip()})
    form = WindowForm(name.strip(), chosen, matchers, start.strip(), end.strip(), comment.strip())
    texts = TEXTS[rendering.lang(request)]

    def again(key: str, detail: str = "") -> Response:
        message = texts[key] + (f" ({detail})" if detail else "")
        return silences_page(request, session, who, window_form=form, window_error=message)

    known = {s.slug for s in catalog_service.list_services(session)}
    if not chosen or not set(chosen) <= known:
        return again("oc_err_services")
    oncall_service.require_window(session, who, chosen)
    parsed = _matchers(form.matchers)
    if isinstance(parsed, str):
        return again("oc_err_matchers", parsed)
    tz = oncall_times.zone(who.time_zone)
    starts = oncall_times.parse_local(form.start, tz)
    ends = oncall_times.parse_local(form.end, tz)
    if starts is None or ends is None:
        return again("oc_err_time")
    if ends <= starts:
        return again("oc_err_order")
    if ends <= clock.now():
        return again("oc_err_past")
    try:
        window_store.create(
            session,
            name=form.name or ", ".join(chosen)[:200],
            starts_at=starts,
            ends_at=ends,
            services=chosen,
            matchers=parsed,
            comment=form.comment[:2000],
            actor=who.audit_actor,
        )
    except ValidationFailed as exc:
        session.rollback()
        return again("oc_err_rejected", str(exc))
    session.commit()
    return RedirectResponse("/silences", status_code=303)


@router.post("/silences/{silence_id}/end", response_model=None)
def end_silence_form(
    silence_id: int, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    """End a silence or a window made in the UI or API now (the file's are ended in the file)."""
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    row = session.get(Silence, silence_id)
    if row is None:
        raise NotFound(f"silence {silence_id} does not exist")
    oncall_service.require_window(session, who, row.services)
    window_store.end(session, silence_id, who.audit_actor)
    session.commit()
    return RedirectResponse("/silences", status_code=303)
