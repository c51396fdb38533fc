"""Domain errors and validation failures as RFC 7807 problem+json responses.

A database that cannot be reached (refused, dropped, timed out, SQLite locked for too long) is
503 with ``Retry-After``, not 500: nothing is wrong with the request, and clients that retry on
503 (Alertmanager, PagerDuty senders, scripts) should simply try again. Which errors count is
decided in one place, ``engine/outage.py``, shared with the engine's own backoff.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from plantao.engine.outage import database_unavailable
from plantao.errors import PROBLEM_SCHEMA, DomainError
from plantao.observability.logging import scrub

log = structlog.get_logger("plantao.http")

PROBLEM = "application/problem+json"
#: Seconds a client is told to wait when the database is away.
RETRY_AFTER_SECONDS = 5


_MEANING = {
    400: "Malformed request",
    401: "No valid token",
    403: "The token's role does not allow this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Validation failed (names the field)",
    429: "Too many requests (see Retry-After)",
    503: "The database is not reachable (see Retry-After)",
}
#: What every authenticated JSON route may answer besides its success.
API_ERRORS = (400, 401, 403, 404, 409, 422, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting problem+json errors, for a router or a route.

    Why: clients and the schemathesis run in CI check every status code and body against the
    document, and FastAPI documents only its own 422 body, which is not the one this API sends;
    without this the errors would be answered but not documented.
    """
    return {
        status: {
            "description": _MEANING.get(status, "Error"),
            "content": {PROBLEM: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses or API_ERRORS
    }


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else ("." if out else "") + part
    return out or "request"


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return problem(
            exc.status, exc.title, exc.detail, errors=exc.errors or None, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _location(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(422, "Validation failed", detail, errors=errors)

    def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            return database_away(request, exc)
        log.error("http.unhandled", path=scrub(request.url.path), exc_info=exc)
        return problem(500, "Internal error", "an unexpected error occurred; see the server log")

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        return unexpected(request, exc)

    # Registered by class (not only under ``Exception``, which Starlette answers and then
    # re-raises to the server) so an outage is answered without a traceback per request.
    for database_error in (SQLAlchemyError, psycopg.Error, sqlite3.Error):
        app.add_exception_handler(database_error, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return unexpected(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))


def database_away(request: Request, exc: BaseException) -> JSONResponse:
    """503 problem+json with ``Retry-After``: the database is unreachable, retry later."""
    log.warning("http.database_unavailable", path=scrub(request.url.path), error=type(exc).__name__)
    return problem(
        503,
        "Service unavailable",
        "the database is not reachable; nothing was changed, retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
