"""Request id, access log and HTTP metrics as one pure ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) because it sits on the intake hot path: it adds no task and
no buffering per request.
"""

from __future__ import annotations

import random
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plantao.observability.logging import scrub
from plantao.observability.metrics import LATENCY, REQUESTS

log = structlog.get_logger("plantao.http")


def _new_id() -> str:
    """128 random bits as hex, like a UUID4's but without a system call per request.

    A request id correlates log lines; it is not a secret, so the PRNG is enough.
    """
    return f"{random.getrandbits(128):032x}"


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or [])
        request_id = incoming.get(b"x-request-id", b"").decode("latin-1")[:64] or _new_id()
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            REQUESTS.labels(method, template, str(status)).inc()
            LATENCY.labels(method, template).observe(elapsed)
            if status >= 400 or template not in _QUIET:
                log.info(
                    "http.request",
                    method=method,
                    path=scrub(scope.get("path", "")),
                    route=template,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


# Successful intake and probes are logged by counters, not lines: at thousands of requests per
# second a line each would cost more than the request.
_QUIET = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/intake/{key}/alertmanager",
        "/api/v1/intake/{key}/grafana",
        "/api/v1/intake/{key}/generic",
        "/v2/enqueue",
        "/v2/change/enqueue",
    }
)
