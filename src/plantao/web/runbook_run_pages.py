"""Runbook step runs from the incident, in the browser: ``/incidents/{ref}/runs`` lists the
executable steps of the incident's linked runbooks with a request form each, and the step runs
with their state and redacted output; ``/incidents/{ref}/runs/{id}`` is one step run, where a
second person approves a destructive one.

Nothing runs here, and nothing is decided here either: the forms call the same use cases as the
API (:mod:`plantao.runbooks.step_requests`), so the guard, the approval window, the audit entries
and the timeline are the API's. The page only turns what a person typed into what the guard
expects: a ``mutate`` or ``destructive`` step is confirmed by typing its exact command, whose
sha256 becomes the request's ``confirmation`` (a command edited since the page was shown no
longer matches, as with the API). A refused request re-renders the page with the reason and
everything typed kept (409/422); a refused approval is still committed, because its audit entry
records the attempt.

Step runs add timeline entries (requested, approved, finished), so the live stream announces
them for the incident; ``static/pages/runs.js`` then swaps in the fresh runs section. Without
JavaScript a reload does the same.

This module also registers the ``checklist_markdown`` Jinja filter (an item's inline Markdown,
rendered safely) for every page that shows checklists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.config import Settings
from plantao.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from plantao.incidents import access as incident_access
from plantao.incidents.models import Incident
from plantao.runbooks import library_access, linking, step_requests
from plantao.runbooks.document import Runbook
from plantao.runbooks.models import RunbookRun
from plantao.runbooks.step_guard import Action, ParamSpec, command_digest
from plantao.web import rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)
RUNS = "/incidents/{ref}/runs"
PARAM_PREFIX = "param_"


@dataclass(frozen=True)
class Stamp:
    """A moment for ``<time datetime>``: the exact instant and the text in the viewer's zone."""

    iso: str
    text: str


@dataclass(frozen=True)
class StepView:
    runbook_id: str
    lang: str
    action: Action
    params: tuple[ParamSpec, ...]
    secrets: tuple[tuple[str, str], ...]  # (parameter, the engine's environment variable)

    @property
    def anchor(self) -> str:
        return f"step-{self.runbook_id}-{self.action.id}"


@dataclass(frozen=True)
class BookView:
    id: str
    title: str
    url: str
    confirmed_by: str | None
    found: bool
    steps: tuple[StepView, ...] = ()


@dataclass
class Attempt:
    """A refused request form: what was typed (shown again) and why it was refused."""

    runbook: str = ""
    action: str = ""
    lang: str = ""
    values: dict[str, str] = field(default_factory=dict)
    confirm: str = ""
    message: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def is_for(self, step: StepView) -> bool:
        return (self.runbook, self.action) == (step.runbook_id, step.action.id)


@dataclass(frozen=True)
class RunView:
    run: RunbookRun
    status: str
    title: str
    requested: Stamp
    approved: Stamp | None
    expires: Stamp | None
    started: Stamp | None
    finished: Stamp | None
    mine: bool
    can_approve: bool


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _stamp(at: datetime | None, tz: ZoneInfo) -> Stamp | None:
    if at is None:
        return None
    local = at.astimezone(tz)
    return Stamp(
        iso=at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        text=f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}",
    )


def typed_confirmation(typed: str, command: str) -> str | None:
    """The guard's confirmation for what the person typed: the sha256 of their text, taking the
    command's own leading and trailing whitespace (a fenced block ends with a newline, a paste
    or a textarea may not); None when nothing was typed."""
    text = typed.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return None
    core = command.strip()
    head = command[: len(command) - len(command.lstrip())]
    tail = command[len(command.rstrip()) :] if core else ""
    return command_digest(head + text + tail)


def _steps(runbook: Runbook) -> tuple[StepView, ...]:
    out = []
    for action in runbook.actions:
        specs = [runbook.parameters[p] for p in action.params if p in runbook.parameters]
        out.append(
            StepView(
                runbook_id=runbook.id,
                lang=runbook.lang,
                action=action,
                params=tuple(s for s in specs if not s.secret),
                secrets=tuple(
                    (s.name, step_requests.secret_env_name(s.name)) for s in specs if s.secret
                ),
            )
        )
    return tuple(out)


def _books(session: Session, settings: Settings, incident: Incident, lang: str) -> list[BookView]:
    """The incident's linked (or confirmed) runbooks from the library, in the page's language."""
    lib = library_access.library(settings)
    books = []
    for link in linking.incident_runbooks(session, incident.id).linked:
        if not link.runbook_id:
            continue
        runbook = lib.get(link.runbook_id, lang)
        if runbook is None:
            books.append(BookView(link.runbook_id, link.title, "", link.confirmed_by, False))
            continue
        url = f"/runbooks/{runbook.id}?lang={runbook.lang}"
        books.append(
            BookView(runbook.id, runbook.title, url, link.confirmed_by, True, _steps(runbook))
        )
    return books


def _requested_book(settings: Settings, attempt: Attempt) -> list[BookView]:
    """The step a link or a refused form names when no linked runbook has it (a change's
    "Roll back" link opens a rollback step of a runbook the incident may not link): that
    runbook, with that step only."""
    runbook = library_access.library(settings).get(attempt.runbook, attempt.lang or "en")
    if runbook is None or runbook.action(attempt.action) is None:
        return []
    steps = tuple(s for s in _steps(runbook) if s.action.id == attempt.action)
    url = f"/runbooks/{runbook.id}?lang={runbook.lang}"
    return [BookView(runbook.id, runbook.title, url, None, True, steps)]


def _prefilled(request: Request) -> Attempt | None:
    """``?runbook=&action=&lang=&param_<name>=``: a step to show with these values typed in
    (nothing is requested until the person sends the form)."""
    query = request.query_params
    if not query.get("runbook") or not query.get("action"):
        return None
    return Attempt(
        runbook=query["runbook"],
        action=query["action"],
        lang=query.get("lang", ""),
        values={
            k.removeprefix(PARAM_PREFIX): v for k, v in query.items() if k.startswith(PARAM_PREFIX)
        },
    )


def _run_view(
    settings: Settings,
    principal: Principal,
    run: RunbookRun,
    lang: str,
    can_act: bool,
) -> RunView:
    tz = _zone(principal.time_zone)
    status = run.status
    if status == "pending_approval" and run.expires_at and clock.now() > run.expires_at:
        status = "expired"  # the row changes when someone next tries to approve it
    runbook = library_access.library(settings).get(run.runbook_id, lang)
    mine = principal.actor.strip().casefold() == run.requested_by.strip().casefold()
    requested = _stamp(run.requested_at, tz)
    assert requested is not None
    return RunView(
        run=run,
        status=status,
        title=runbook.title if runbook is not None else run.runbook_id,
        requested=requested,
        approved=_stamp(run.approved_at, tz),
        expires=_stamp(run.expires_at, tz),
        started=_stamp(run.started_at, tz),
        finished=_stamp(run.finished_at, tz),
        mine=mine,
        can_approve=can_act and status == "pending_approval" and not mine,
    )


def _common(
    session: Session, request: Request, principal: Principal, incident: Incident
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return {
        "incident": incident,
        "can_act": incident_access.allowed(session, principal, incident),
        "enabled": settings.runbooks_execution,
        "approval_minutes": settings.runbooks_approval_minutes,
    }


def _runs_page(
    request: Request,
    session: Session,
    principal: Principal,
    incident: Incident,
    *,
    attempt: Attempt | None = None,
    banner: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    lang = rendering.lang(request)
    ctx = _common(session, request, principal, incident)
    runs = [
        _run_view(settings, principal, run, lang, ctx["can_act"])
        for run in step_requests.list_for_incident(session, incident.id)
    ]
    runs.reverse()  # newest first: the one just requested is at the top
    books = _books(session, settings, incident, lang)
    if attempt is not None and not any(attempt.is_for(s) for b in books for s in b.steps):
        books.extend(_requested_book(settings, attempt))
    shown = [step for book in books for step in book.steps] if ctx["enabled"] else []
    in_form = ctx["can_act"] and attempt is not None and any(attempt.is_for(s) for s in shown)
    return rendering.render(
        request,
        "runs/index.html",
        principal,
        status_code=status_code,
        books=books,
        runs=runs,
        attempt=attempt,
        attempt_in_form=in_form,
        banner=banner,
        **ctx,
    )


def _run_page(
    request: Request,
    session: Session,
    principal: Principal,
    incident: Incident,
    run: RunbookRun,
    *,
    banner: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    ctx = _common(session, request, principal, incident)
    view = _run_view(settings, principal, run, rendering.lang(request), ctx["can_act"])
    runbook = library_access.library(settings).get(run.runbook_id, run.lang)
    action = runbook.action(run.action_id) if runbook is not None else None
    return rendering.render(
        request,
        "runs/run.html",
        principal,
        status_code=status_code,
        r=view,
        approvers=action.approvers if action is not None else (),
        banner=banner,
        **ctx,
    )


@router.get(RUNS, response_class=HTMLResponse, response_model=None)
def runs_page(ref: str, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    incident = incident_access.get_to_read(session, ref, principal)
    return _runs_page(request, session, principal, incident, attempt=_prefilled(request))


@router.get(RUNS + "/{run_id}", response_class=HTMLResponse, response_model=None)
def run_page(ref: str, run_id: int, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    incident = incident_access.get_to_read(session, ref, principal)
    run = step_requests.get(session, incident, run_id)
    return _run_page(request, session, principal, incident, run)


def _refusal(t: dict[str, str], exc: DomainError, attempt: Attempt, danger: str | None) -> str:
    """The page's words for a refused request (the domain's own text is API-worded English)."""
    if isinstance(exc, rendering.CsrfFailed):
        return t["rr_err_csrf"]
    if isinstance(exc, PermissionDenied):
        return t["rr_err_forbidden"]
    if isinstance(exc, step_requests.ExecutionDisabled):
        return t["rr_err_disabled"]
    if isinstance(exc, ValidationFailed):
        for error in exc.errors:
            message = error.get("message", "")
            attempt.fields[error.get("param", "")] = (
                t["rr_err_required"] if message == "is required" else message
            )
        return t["rr_err_params"] if attempt.fields else t["rr_err_other"].format(detail=exc.detail)
    if isinstance(exc, Conflict) and danger in ("mutate", "destructive"):
        return t["rr_err_confirm_mismatch" if attempt.confirm.strip() else "rr_err_confirm_missing"]
    if isinstance(exc, NotFound):
        return t["rr_err_unknown_step"]
    return t["rr_err_other"].format(detail=exc.detail)


def _request_run(ref: str, request: Request, session: Session, form: dict[str, str]) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    settings: Settings = request.app.state.settings
    attempt = Attempt(
        runbook=form.get("runbook", ""),
        action=form.get("action", ""),
        lang=form.get("lang", ""),
        values={
            k.removeprefix(PARAM_PREFIX): v for k, v in form.items() if k.startswith(PARAM_PREFIX)
        },
        confirm=form.get("confirm_command", ""),
    )
    danger: str | None = None
    try:
        rendering.check_csrf(request, form.get("csrf", ""))
        incident = incident_access.get_to_act(session, ref, principal)
        step_requests.ensure_enabled(settings)
        lib = library_access.library(settings)
        wanted = attempt.lang or rendering.lang(request)
        runbook = library_access.get_runbook(lib, attempt.runbook, wanted)
        action = runbook.action(attempt.action)
        if action is None:
            raise NotFound(f"runbook '{runbook.id}' has no action '{attempt.action}'")
        danger = action.danger
        confirmation = (
            typed_confirmation(attempt.confirm, action.command) if danger != "read" else None
        )
        run = step_requests.request(
            session,
            settings,
            incident,
            runbook,
            action.id,
            values=dict(attempt.values),
            confirmation=confirmation,
            actor=principal.actor,
            audit_actor=principal.audit_actor,
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        attempt.message = _refusal(TEXTS[rendering.lang(request)], exc, attempt, danger)
        incident = incident_access.get_to_read(session, ref, principal)
        return _runs_page(
            request, session, principal, incident, attempt=attempt, status_code=exc.status
        )
    return RedirectResponse(f"/incidents/{incident.human_id}/runs/{run.id}", status_code=303)


@router.post(RUNS, response_model=None)
async def request_run_form(ref: str, request: Request, session: SessionDep) -> Response:
    """One request form per step: its parameters are named by the runbook, so the form is read
    whole (``param_<name>`` fields) rather than declared field by field."""
    form = await request.form()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return await run_in_threadpool(_request_run, ref, request, session, fields)


def _approval_refusal(
    t: dict[str, str], exc: DomainError, principal: Principal, run: RunbookRun | None
) -> str:
    if isinstance(exc, rendering.CsrfFailed):
        return t["rr_err_csrf"]
    if isinstance(exc, PermissionDenied):
        if run is not None and principal.actor.strip().casefold() == (
            run.requested_by.strip().casefold()
        ):
            return t["rr_err_self_approval"]
        if run is not None and run.status == "pending_approval":
            return t["rr_err_role"]
        return t["rr_err_forbidden"]
    if isinstance(exc, step_requests.ExecutionDisabled):
        return t["rr_err_disabled"]
    if isinstance(exc, Conflict) and run is not None:
        return t["rr_err_not_pending" if run.status != "pending_approval" else "rr_err_changed"]
    return t["rr_err_other"].format(detail=exc.detail)


@router.post(RUNS + "/{run_id}/approve", response_model=None)
def approve_run_form(
    ref: str,
    run_id: int,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    settings: Settings = request.app.state.settings
    t = TEXTS[rendering.lang(request)]
    run: RunbookRun | None = None
    try:
        rendering.check_csrf(request, csrf)
        incident = incident_access.get_to_act(session, ref, principal)
        run = step_requests.get(session, incident, run_id, for_update=True)
        runbook = library_access.library(settings).get(run.runbook_id, run.lang)
        step_requests.approve(
            session,
            settings,
            incident,
            run,
            runbook,
            actor=principal.actor,
            roles=incident_access.roles_on(session, principal, incident),
            audit_actor=principal.audit_actor,
        )
    except DomainError as exc:
        message = _approval_refusal(t, exc, principal, run)
        if isinstance(exc, PermissionDenied) and run is not None:
            session.commit()  # the refusal's audit entry; the step run itself is unchanged
        else:
            session.rollback()
        incident = incident_access.get_to_read(session, ref, principal)
        shown = step_requests.get(session, incident, run_id)
        return _run_page(
            request, session, principal, incident, shown, banner=message, status_code=exc.status
        )
    session.commit()
    if run.status == "expired":
        return _run_page(
            request, session, principal, incident, run, banner=t["rr_err_expired"], status_code=409
        )
    return RedirectResponse(f"/incidents/{incident.human_id}/runs/{run.id}", status_code=303)
