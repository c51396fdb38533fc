"""What every server-rendered page shares: templates, language, CSRF, the signed-in person.

One layout and one set of helpers for every page (DESIGN.md's web UI), so a page module holds
only its routes. The browser session is a row in ``web_sessions`` (see
``plantao.auth.web_sessions``); the signed Starlette cookie carries its id, the CSRF token and
the chosen language.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from plantao.api.deps import SESSION_KEY
from plantao.auth import web_sessions
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import DomainError, Unauthenticated
from plantao.runbooks.checklist_markdown import inline_html
from plantao.urls import safe_link
from plantao.web import unresolved_labels
from plantao.web.i18n import TEXTS, pick_language

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# Every href built from outside data goes through this filter (plantao.urls.safe_link).
templates.env.filters["safe_link"] = safe_link


def _checklist_markdown(text: object) -> Markup:
    return Markup(inline_html(str(text)))  # noqa: S704 - inline_html escapes; raw HTML is off


# A checklist item's inline Markdown (runbook checklists keep theirs), rendered safely.
templates.env.filters["checklist_markdown"] = _checklist_markdown
# A page label of the escalation of an unresolved incident ("level 2, …"), translated.
templates.env.filters["unresolved_level"] = unresolved_labels.level_text


class CsrfFailed(DomainError):
    """The form's token does not match the session's: a stale tab or a forged cross-site post."""


def lang(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in TEXTS:
        request.session["lang"] = wanted
    return pick_language(request.session.get("lang"), request.headers.get("accept-language"))


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, csrf: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, csrf):
        raise CsrfFailed("the form expired; reload the page and try again")


def current(request: Request, session: Session) -> Principal | None:
    """The signed-in person, or None. Rotates the session id when it is due (the middleware
    then sends the new cookie)."""
    sid = request.session.get(SESSION_KEY)
    if not isinstance(sid, str):
        return None
    try:
        state = web_sessions.resume(session, request.app.state.settings, sid)
    except Unauthenticated:
        request.session.pop(SESSION_KEY, None)
        return None
    session.commit()  # last_seen_at / rotation; nothing else has been written yet
    if state.new_sid is not None:
        request.session[SESSION_KEY] = state.new_sid
    source = request.client.host if request.client else None
    return state.principal.seen_from(source)


def render(
    request: Request, name: str, principal: Principal | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    language = lang(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "t": TEXTS[language],
            "lang": language,
            "principal": principal,
            "csrf": csrf_token(request),
            **context,
        },
        status_code=status_code,
    )


def to_login(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def writer(
    request: Request, session: Session, csrf: str, need: Need = Need.RESPOND
) -> Principal | Response:
    """A form post's author after the session and CSRF checks and a first, coarse permission
    check (team-specific checks follow in the route); a redirect to the login page when the
    session is gone."""
    principal = current(request, session)
    if principal is None:
        return to_login(request)
    check_csrf(request, csrf)
    principal.require(need)
    return principal
