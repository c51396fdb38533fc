"""Logging in and out: local password (argon2id, per-account lockout, per-address limits in
``plantao.api.ratelimit``) and single sign-on (``plantao.web.sso_pages``).

A login always starts a fresh signed cookie (only the language carries over), so a session id
planted before login is never promoted (session fixation).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plantao.api.deps import SESSION_KEY, SessionDep
from plantao.auth import passwords, web_sessions
from plantao.auth import service as auth_service
from plantao.errors import Unauthenticated
from plantao.web import rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)
#: Set in the cookie by a single sign-on login (``plantao.web.sso_pages``): logging out then
#: goes on to the provider's logout.
SSO_MARK = "sso"


def safe_next(target: str | None) -> str:
    """Only a local path: never an open redirect to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def start_session(request: Request, session: SessionDep, user_id: int, method: str) -> None:
    """Open a database session for the user and put its id in a fresh cookie. Commits."""
    sid = web_sessions.open_session(
        session,
        request.app.state.settings,
        user_id=user_id,
        method=method,
        user_agent=request.headers.get("user-agent"),
        source=request.client.host if request.client else None,
    )
    session.commit()
    language = request.session.get("lang")
    pending = request.session.get("pending")
    request.session.clear()
    if language in TEXTS:
        request.session["lang"] = language
    if isinstance(pending, dict):  # a form that was posted when the session had expired
        request.session["pending"] = pending
    request.session[SESSION_KEY] = sid


def login_form(
    request: Request,
    session: SessionDep,
    next: str,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    settings = request.app.state.settings
    return rendering.render(
        request,
        "login.html",
        None,
        status_code=status_code,
        next=safe_next(next),
        error=error,
        password_login=passwords.password_login_enabled(session),
        sso=bool(getattr(settings, "oidc_issuer", None)),
        handle="",
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str = "/") -> HTMLResponse:
    return login_form(request, session, next)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    handle: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        user = passwords.verify(session, handle, password)
    except Unauthenticated as exc:
        session.commit()  # keep the failure count that locks the account
        texts = TEXTS[rendering.lang(request)]
        message = texts["login_failed"] if "wrong" in str(exc) else texts["login_refused"]
        return login_form(request, session, next, status_code=401, error=message)
    start_session(request, session, user.id, "password")
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form()]) -> RedirectResponse:
    rendering.check_csrf(request, csrf)
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        web_sessions.end_session(session, sid)
        session.commit()
    via_sso = request.session.get(SSO_MARK) is True
    request.session.clear()
    return RedirectResponse("/logout/sso" if via_sso else "/login", status_code=303)


@router.post("/logout/everywhere")
def logout_everywhere(
    request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> RedirectResponse:
    """End every session of this person, on every device."""
    rendering.check_csrf(request, csrf)
    sid = request.session.get(SESSION_KEY)
    if isinstance(sid, str):
        user_id = web_sessions.user_of_session(session, sid)
        if user_id is not None:
            auth_service.end_user_sessions(session, user_id)
            session.commit()
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
