"""Bounded bodies, and no body read for a caller the API does not know.

FastAPI reads and parses a JSON body before it runs a route's dependencies, so without this an
unauthenticated client could make the server buffer any amount of JSON: four concurrent 200 MB
POSTs once took a server to 2.9 GiB. This pure ASGI middleware runs before the application:

- a declared ``Content-Length`` above the route's limit is answered 413 before a byte is read;
  a body without one (chunked) is counted as it arrives and cut off at the limit with a 413;
- on ``/api/v1/…`` (except intake and heartbeats, which carry their key in the URL) the bearer
  token is checked before the body is read; a missing or unknown token is answered 401 and the
  body is never read. The verified principal is left in the request state so the route's
  dependency does not look it up again.

Intake has its own, usually larger, limit (``PLANTAO_INTAKE_MAX_BODY_BYTES``).
"""

from __future__ import annotations

from typing import Any

import orjson
from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plantao.auth import service as auth_service
from plantao.auth.principal import Principal
from plantao.config import Settings
from plantao.errors import Unauthenticated

PROBLEM = b"application/problem+json"
# Routes under /api/ that authenticate by a key in their URL, not a bearer token.
_KEYED_PREFIXES = ("/api/v1/intake/", "/api/v1/heartbeats/")
_INTAKE_PREFIXES = ("/api/v1/intake/", "/v2/enqueue", "/v2/change/enqueue")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a body passes the limit while it is read. An HTTPException
    so that FastAPI's body parsing lets it through and the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes")


async def _problem(
    send: Send,
    status: int,
    title: str,
    detail: str,
    headers: list[tuple[bytes, bytes]],
    *,
    path: str = "",
) -> None:
    """problem+json, or PagerDuty's own error body on its Events API routes (its senders
    parse that shape)."""
    if path.startswith("/v2/"):
        body = orjson.dumps({"status": "invalid event", "message": title, "errors": [detail]})
        media = b"application/json"
    else:
        body = orjson.dumps(
            {"type": "about:blank", "title": title, "status": status, "detail": detail}
        )
        media = PROBLEM
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _too_large(send: Send, limit: int, path: str) -> None:
    await _problem(
        send,
        413,
        "Payload too large",
        f"the body is larger than {limit} bytes",
        [(b"connection", b"close")],
        path=path,
    )


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


class BodyGuard:
    def __init__(
        self, app: ASGIApp, *, settings: Settings, sessions: sessionmaker[Session]
    ) -> None:
        self.app = app
        self.limit = settings.max_body_bytes
        self.intake_limit = settings.intake_max_body_bytes
        self.sessions = sessions

    def _authenticate(self, token: str) -> Principal:
        with self.sessions() as session:
            principal = auth_service.authenticate(session, token)
            session.commit()
            return principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        limit = self.intake_limit if path.startswith(_INTAKE_PREFIXES) else self.limit
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await _problem(
                    send, 400, "Bad request", "Content-Length is not a number", [], path=path
                )
                return
            if size > limit:
                await _too_large(send, limit, path)
                return
        if path.startswith("/api/v1/") and not path.startswith(_KEYED_PREFIXES):
            token = _bearer(headers)
            if token is None:
                await _problem(
                    send,
                    401,
                    "Unauthenticated",
                    "send 'Authorization: Bearer <token>'",
                    [(b"www-authenticate", b"Bearer")],
                )
                return
            try:
                principal = await to_thread.run_sync(self._authenticate, token)
            except Unauthenticated as exc:
                await _problem(send, 401, exc.title, exc.detail, [(b"www-authenticate", b"Bearer")])
                return
            scope.setdefault("state", {})["principal"] = principal
        if path.startswith(_INTAKE_PREFIXES):
            # Intake reads its body in chunks against the same limit and answers in its
            # sender's dialect (PagerDuty's error body on /v2/…).
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        started = False

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(send, limit, scope.get("path", ""))


def principal_from_state(state: Any) -> Principal | None:
    """The principal ``BodyGuard`` verified for this request, if it did."""
    found = getattr(state, "principal", None)
    return found if isinstance(found, Principal) else None
