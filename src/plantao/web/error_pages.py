"""Errors on the web UI's routes answered as pages in the person's language, not as JSON.

``plantao.api.errors`` turns every failure into RFC 7807 problem+json; that is right for the
API, intake (``/api/``, ``/v2/``), the live stream and the probes, and wrong for a browser that
posted a form. :func:`install` wraps each of those handlers: a request for any other path gets
an HTML page in the shared layout with the same status code, built from the problem the JSON
handler produced (so which status a failure gets, what is logged and the 503-with-Retry-After
rule stay decided in one place). A client that asks for JSON only (``Accept`` without HTML)
still gets the problem.

What each page says: 400 CSRF failure ("the form expired; reload" with a link back to the form's
page), 401 (a link to log in that returns here), 403 (the role needed, from the
``PermissionDenied`` message), 404, 409 (the conflict and a link back), 422 (which field and
why), 500 (an error id written on the log line of the failure, no traceback), 503. A form's
text fields are shown back read-only on 400/409/422 so nothing typed is lost. Pages with forms
of their own (the incident page) re-render their 409/422 in place; this is the fallback.
"""

from __future__ import annotations

import inspect
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from plantao.auth.principal import Principal
from plantao.errors import DomainError
from plantao.web import rendering
from plantao.web.i18n import TEXTS, pick_language

Handler = Callable[[Request, Exception], Response | Awaitable[Response]]

#: Paths whose clients are programs: they keep problem+json.
MACHINE_PREFIXES = (
    "/api/",
    "/v2/",
    "/live/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/ical/",
    "/static/",
)
_HANDLED = (
    DomainError,
    RequestValidationError,
    StarletteHTTPException,
    SQLAlchemyError,
    psycopg.Error,
    sqlite3.Error,
    Exception,
)
_KNOWN = {400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503}
_SHOW_TYPED = {400, 409, 422}
_SECRET_FIELD = re.compile(r"csrf|password|secret|token|^next$", re.IGNORECASE)
_MAX_TYPED = 12
_WORD = 30


def wants_page(request: Request) -> bool:
    """A browser on a web route (anything but the machine prefixes) that accepts HTML."""
    if request.url.path.startswith(MACHINE_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    return "html" in accept or "json" not in accept


def install(app: FastAPI) -> None:
    """Wrap the problem+json handlers installed by ``plantao.api.errors.install`` (call it
    after that one)."""
    for kind in _HANDLED:
        previous = app.exception_handlers.get(kind)
        if previous is None:
            raise RuntimeError(f"no problem handler for {kind.__name__}: install api.errors first")
        app.add_exception_handler(kind, _as_page(previous))


def _as_page(previous: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handler(request: Request, exc: Exception) -> Response:
        if not wants_page(request):
            return await _call(previous, request, exc)
        error_id = secrets.token_hex(6)
        # The JSON handler logs unexpected errors; the id goes on that line.
        structlog.contextvars.bind_contextvars(error_id=error_id)
        try:
            problem = await _call(previous, request, exc)
        finally:
            structlog.contextvars.unbind_contextvars("error_id")
        return await _page(request, exc, problem, error_id)

    return handler


async def _call(handler: Handler, request: Request, exc: Exception) -> Response:
    answer = handler(request, exc)
    if inspect.isawaitable(answer):
        return await answer
    return answer


async def _page(request: Request, exc: Exception, problem: Response, error_id: str) -> Response:
    status = problem.status_code
    body: dict[str, Any] = {}
    try:
        body = orjson.loads(bytes(problem.body))
    except (orjson.JSONDecodeError, TypeError):
        body = {}
    headers = {k: v for k, v in problem.headers.items() if k.lower() == "retry-after"}
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        headers.update({k: v for k, v in exc.headers.items() if k.lower() == "allow"})
    principal = await _principal(request) if status < 500 else None
    language = _language(request)
    texts = TEXTS[language]
    csrf_failed = isinstance(exc, rendering.CsrfFailed)
    key = "csrf" if csrf_failed else (str(status) if status in _KNOWN else "other")
    detail = ""
    if isinstance(exc, DomainError) and status < 500 and not csrf_failed:
        detail = word(str(body.get("detail", exc.detail)), texts)
    context: dict[str, Any] = {
        "status": status,
        "heading": texts[f"ep_{key}_heading"],
        "text": texts[f"ep_{key}_text"],
        "detail": detail,
        "fields": _fields(exc, texts) if status == 422 else [],
        "typed": await _typed(request) if status in _SHOW_TYPED else [],
        "back": back_link(request),
        "csrf_failed": csrf_failed,
        "login": _login_link(request) if status == 401 else None,
        "error_id": error_id if status == 500 else None,
    }
    response = _render(request, principal, language, status, context)
    response.headers.update(headers)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _principal(request: Request) -> Principal | None:
    """The signed-in person for the layout's menu; None when it cannot be told."""
    if "session" not in request.scope:
        return None

    def find() -> Principal | None:
        with request.app.state.sessions() as session:
            return rendering.current(request, session)

    try:
        return await run_in_threadpool(find)
    except Exception:  # the page about an error must not fail on a second one
        return None


def _language(request: Request) -> str:
    if "session" in request.scope:
        return rendering.lang(request)
    wanted = request.query_params.get("lang")
    return pick_language(wanted, request.headers.get("accept-language"))


def _render(
    request: Request,
    principal: Principal | None,
    language: str,
    status: int,
    context: dict[str, Any],
) -> Response:
    if "session" in request.scope:
        return rendering.render(request, "error.html", principal, status_code=status, **context)
    # Outside the session middleware (an unexpected error is answered by the outermost one).
    return rendering.templates.TemplateResponse(
        request,
        "error.html",
        {"t": TEXTS[language], "lang": language, "principal": None, "csrf": "", **context},
        status_code=status,
    )


def back_link(request: Request) -> str:
    """Where "back" goes: the page the browser came from when it is this site's, else the
    incident a form was about, else the list."""
    referer = request.headers.get("referer", "")
    if referer:
        parts = urlsplit(referer)
        path = parts.path or "/"
        same_site = parts.netloc in ("", request.url.netloc)
        if same_site and path.startswith("/") and not path.startswith("//") and "\\" not in path:
            target = path + (f"?{parts.query}" if parts.query else "")
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method != "GET" or target != here:
                return target
    match = re.match(r"^/incidents/([A-Za-z0-9-]{1,64})/", request.url.path)
    return f"/incidents/{match.group(1)}" if match else "/"


def _login_link(request: Request) -> str:
    target = request.url.path if request.method == "GET" else back_link(request)
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return "/login?next=" + quote(target, safe="")


_NEEDS_ROLE = re.compile(
    r"^this needs the (viewer|responder|manager|admin) role (on this team|on any team); "
    r"you have (viewer|responder|manager|admin|no role)$"
)
_CANNOT = re.compile(r"^cannot ([a-z]+) an incident that is ([a-z]+); allowed: (.+)$")
_NO_INCIDENT = re.compile(r"^incident '(.{1,200})' does not exist$")


def word(detail: str, texts: dict[str, str]) -> str:
    """A server message in the page's language, for the messages people meet most (the role
    a form needs, a lifecycle conflict, an unknown incident); others are shown as written."""
    if detail == "this needs the admin role":
        return texts["ep_needs_admin"]
    if found := _NEEDS_ROLE.match(detail):
        role, where, have = found.groups()
        return texts["ep_needs_role"].format(
            role=texts[f"ep_role_{role}"],
            where=texts["ep_on_this_team" if where == "on this team" else "ep_on_any_team"],
            have=texts["ep_no_role"] if have == "no role" else texts[f"ep_role_{have}"],
        )
    if (found := _CANNOT.match(detail)) and _known_words(found, texts):
        action, status, allowed = found.groups()
        if allowed == "none (closed is final)":
            allowed_text = texts["ep_closed_final"]
        else:
            allowed_text = ", ".join(texts[a].lower() for a in allowed.split(", "))
        return texts["ep_cannot"].format(
            action=texts[action].lower(), status=texts[status].lower(), allowed=allowed_text
        )
    if found := _NO_INCIDENT.match(detail):
        return texts["ep_no_incident"].format(ref=found.group(1))
    return detail


def _known_words(found: re.Match[str], texts: dict[str, str]) -> bool:
    action, status, allowed = found.groups()
    words = [action, status]
    if allowed != "none (closed is final)":
        words += allowed.split(", ")
    return all(w in texts for w in words)


def _fields(exc: Exception, texts: dict[str, str]) -> list[tuple[str, str]]:
    """``(field, problem)`` for each rejected field of a form or query."""
    if isinstance(exc, DomainError):
        return [(e.get("field", ""), e.get("message", "")) for e in exc.errors]
    if not isinstance(exc, RequestValidationError):
        return []
    out = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form")]
        out.append((".".join(loc) or "request", _field_problem(error, texts)))
    return out


def _field_problem(error: dict[str, Any], texts: dict[str, str]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return texts["ep_missing"]
    if kind == "string_too_long" and "max_length" in ctx:
        return texts["ep_too_long"].format(max=ctx["max_length"])
    if kind == "string_too_short" and "min_length" in ctx:
        return texts["ep_too_short"].format(min=ctx["min_length"])
    if kind in ("int_parsing", "int_type"):
        return texts["ep_not_number"]
    message = str(error.get("msg", ""))
    return f"{texts['ep_invalid']} ({message})" if message else texts["ep_invalid"]


async def _typed(request: Request) -> list[tuple[str, str]]:
    """The text people typed into the form that failed (never secrets), to copy from the page:
    values with a space or longer than a word (choices from selects and checkboxes are left
    out). The route has already read the form, so this is the parsed copy, not a second read."""
    content_type = request.headers.get("content-type", "")
    if request.method != "POST" or not content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        return []
    try:
        form = await request.form()
    except Exception:  # a body that could not be parsed: nothing to show back
        return []
    typed = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile) or _SECRET_FIELD.search(name):
            continue
        if " " not in value.strip() and "\n" not in value and len(value) <= _WORD:
            continue
        typed.append((name, value))
    return typed[:_MAX_TYPED]
