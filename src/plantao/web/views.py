"""Server-rendered pages for responders: incident list and incident page.

Login exchanges an API token for a signed session cookie (HttpOnly, SameSite=Lax); every form
carries a per-session CSRF token. No build step, no JavaScript needed to act on an incident.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api import incident_presenter as presenter
from plantao.api.deps import SESSION_KEY, SessionDep
from plantao.auth import service as auth_service
from plantao.auth import web_sessions
from plantao.auth.roles import Role, require
from plantao.auth.service import Principal
from plantao.errors import DomainError, Unauthenticated
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import Incident
from plantao.notify import outbox_admin
from plantao.runbooks import checklists as runbook_checklists
from plantao.runbooks import library_access as runbook_library
from plantao.runbooks import linking as runbook_linking
from plantao.runbooks import posture as runbook_posture
from plantao.runbooks import render as runbook_render
from plantao.runbooks import triage
from plantao.urls import safe_link
from plantao.web.i18n import TEXTS, pick_language

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Every href built from outside data goes through this filter (plantao.urls.safe_link).
templates.env.filters["safe_link"] = safe_link


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in TEXTS:
        request.session["lang"] = wanted
    return pick_language(request.session.get("lang"), request.headers.get("accept-language"))


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def _principal(request: Request, session: Session) -> Principal | None:
    sid = request.session.get(SESSION_KEY)
    if not isinstance(sid, str):
        return None
    try:
        principal = web_sessions.principal_for(session, request.app.state.settings, sid)
    except Unauthenticated:
        request.session.pop(SESSION_KEY, None)
        return None
    session.commit()  # last_seen_at; nothing else has been written yet
    return principal


def _render(
    request: Request, name: str, principal: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = _lang(request)
    return templates.TemplateResponse(
        request,
        name,
        {"t": TEXTS[lang], "lang": lang, "principal": principal, "csrf": _csrf(request), **context},
        status_code=status_code,
    )


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _render(request, "login.html", None, next=next, error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        principal = auth_service.authenticate(session, token.strip())
    except Unauthenticated:
        lang = _lang(request)
        return _render(
            request, "login.html", None, status_code=401, next=next, error=TEXTS[lang]["bad_token"]
        )
    if principal.token_id is None:  # pragma: no cover - authenticate() always names its token
        raise Unauthenticated("this credential cannot open a web session")
    sid = web_sessions.open_session(
        session,
        request.app.state.settings,
        token_id=principal.token_id,
        user_agent=request.headers.get("user-agent"),
    )
    session.commit()
    language = request.session.get("lang")
    request.session.clear()  # a fresh session at login; only the language carries over
    if language in TEXTS:
        request.session["lang"] = language
    request.session[SESSION_KEY] = sid
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/"
    return RedirectResponse(safe_next, status_code=303)


def _check_csrf(request: Request, csrf: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, csrf):
        raise DomainError("the form expired; reload the page and try again")


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form()]) -> RedirectResponse:
    _check_csrf(request, csrf)
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        web_sessions.end_session(session, sid)
        session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse, response_model=None)
def incidents_page(
    request: Request,
    session: SessionDep,
    status: str = "open",
    severity: str = "",
    cursor: str | None = None,
) -> Response:
    principal = _principal(request, session)
    if principal is None:
        return _to_login(request)
    page = incident_service.list_incidents(
        session,
        statuses=[status] if status else [],
        severities=[severity] if severity else [],
        cursor=cursor,
        limit=50,
    )
    return _render(
        request,
        "incidents.html",
        principal,
        incidents=presenter.summaries(session, page.items),
        next_cursor=page.next_cursor,
        status=status,
        severity=severity,
    )


@router.get("/incidents/{ref}", response_class=HTMLResponse, response_model=None)
def incident_page(ref: str, request: Request, session: SessionDep) -> Response:
    principal = _principal(request, session)
    if principal is None:
        return _to_login(request)
    incident = incident_service.get(session, ref)
    return _render(
        request,
        "incident.html",
        principal,
        i=presenter.detail(session, incident),
        can_write=principal.role in (Role.RESPONDER, Role.ADMIN),
        runbooks=runbook_linking.incident_runbooks(session, incident.id),
        checklists=runbook_checklists.checklists(session, incident.id),
        risk=runbook_posture.latest_risk(session, incident.id),
        triage=triage.triage_checklist(_lang(request)),
    )


def _write(
    request: Request, session: Session, csrf: str, role: Role = Role.RESPONDER
) -> Principal | Response:
    principal = _principal(request, session)
    if principal is None:
        return _to_login(request)
    _check_csrf(request, csrf)
    require(principal.role, role)
    return principal


def _change_incident(
    request: Request,
    session: Session,
    csrf: str,
    ref: str,
    change: Callable[[Incident, Principal], object],
) -> Response:
    """Every incident form: check session, CSRF and role, lock the incident, apply, commit,
    and send the browser back to the incident page (post/redirect/get)."""
    who = _write(request, session, csrf)
    if isinstance(who, Response):
        return who
    incident = incident_service.get(session, ref, for_update=True)
    change(incident, who)
    session.commit()
    return RedirectResponse(f"/incidents/{incident.human_id}", status_code=303)


@router.post("/incidents/{ref}/notes", response_model=None)
def note_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    text: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "fact",
) -> Response:
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.add_note(
            session, inc, actor=who.actor, text=text, kind=kind
        ),
    )


@router.post("/incidents/{ref}/severity", response_model=None)
def severity_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    severity: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.change_severity(
            session, inc, actor=who.actor, new=severity, reason=reason or None
        ),
    )


@router.get("/runbooks", response_class=HTMLResponse, response_model=None)
def runbooks_page(request: Request, session: SessionDep) -> Response:
    principal = _principal(request, session)
    if principal is None:
        return _to_login(request)
    settings = request.app.state.settings
    lib = runbook_library.library(settings)
    lang = _lang(request)
    today = clock.now().date()
    items = [
        runbook_render.summary(
            runbook_library.get_runbook(lib, rid, lang), runbook_library.languages(lib, rid), today
        )
        for rid in lib.ids()
    ]
    return _render(request, "runbooks.html", principal, runbooks=items)


@router.get("/runbooks/{rid}", response_class=HTMLResponse, response_model=None)
def runbook_page(rid: str, request: Request, session: SessionDep) -> Response:
    principal = _principal(request, session)
    if principal is None:
        return _to_login(request)
    lib = runbook_library.library(request.app.state.settings)
    wanted = request.query_params.get("lang") or _lang(request)
    rb = runbook_library.get_runbook(lib, rid, wanted)
    detail = runbook_render.detail(rb, runbook_library.languages(lib, rb.id), clock.now().date())
    return _render(request, "runbook.html", principal, rb=detail)


@router.post("/incidents/{ref}/runbooks/{rid}/confirm", response_model=None)
def confirm_runbook_form(
    ref: str, rid: str, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    lib = runbook_library.library(request.app.state.settings)
    lang = _lang(request)
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_linking.confirm(
            session, inc, runbook_library.get_runbook(lib, rid, lang), actor=who.actor
        ),
    )


@router.post("/incidents/{ref}/runbooks/{rid}/checklist", response_model=None)
def runbook_checklist_form(
    ref: str, rid: str, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    lib = runbook_library.library(request.app.state.settings)
    lang = _lang(request)
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_checklists.attach_runbook_checklist(
            session, inc, runbook_library.get_runbook(lib, rid, lang), actor=who.actor
        ),
    )


@router.post("/incidents/{ref}/checklists/{cid}/items/{iid}/{verb}", response_model=None)
def checklist_item_form(
    ref: str,
    cid: int,
    iid: int,
    verb: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    if verb not in ("check", "uncheck"):
        raise DomainError(f"unknown checklist verb '{verb}'")
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_checklists.set_item(
            session, inc, cid, iid, checked=verb == "check", actor=who.actor
        ),
    )


@router.post("/incidents/{ref}/triage/risk", response_model=None)
def risk_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    level: Annotated[str, Form()],
    rationale: Annotated[str, Form()] = "",
) -> Response:
    lang = _lang(request)
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_posture.record_risk(
            session, inc, level=level, rationale=rationale, actor=who.actor, lang=lang
        ),
    )


@router.post("/incidents/{ref}/notes/assumption", response_model=None)
def assumption_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    assumption: Annotated[str, Form()],
    evidence: Annotated[str, Form()],
    signal: Annotated[str, Form()],
    fallback: Annotated[str, Form()],
) -> Response:
    lang = _lang(request)
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_posture.record_assumption(
            session,
            inc,
            actor=who.actor,
            assumption=assumption,
            evidence=evidence,
            signal=signal,
            fallback=fallback,
            lang=lang,
        ),
    )


@router.post("/incidents/{ref}/{action}", response_model=None)
def action_form(
    ref: str,
    action: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    try:
        verb = Action(action)
    except ValueError:
        raise DomainError(f"unknown action '{action}'") from None
    return _change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.act(session, inc, verb, actor=who.actor),
    )


@router.get("/deliveries", response_class=HTMLResponse, response_model=None)
def dead_deliveries_page(request: Request, session: SessionDep) -> Response:
    """Notifications that could not be delivered (the dead-letter queue), for admins."""
    principal = _principal(request, session)
    if principal is None:
        return _to_login(request)
    require(principal.role, Role.ADMIN)
    return _render(
        request,
        "deliveries.html",
        principal,
        deliveries=outbox_admin.list_deliveries(session, state="dead", limit=200),
    )


@router.post("/deliveries/{delivery_id}/retry", response_model=None)
def retry_delivery_form(
    delivery_id: int, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    who = _write(request, session, csrf, Role.ADMIN)
    if isinstance(who, Response):
        return who
    outbox_admin.retry_delivery(session, delivery_id)
    session.commit()
    return RedirectResponse("/deliveries", status_code=303)
