"""Limits on abusive clients: request rates, failure budgets, and a body read timeout.

One pure ASGI middleware (not BaseHTTPMiddleware: it sits on the intake hot path at over a
thousand requests a second, so it adds no task and no buffering; the checks are a few dict
look-ups). What it limits, by route class:

- intake (``/api/v1/intake/{key}/<source>``, ``/api/v1/heartbeats/{key}``): a generous rate
  per integration key; ``/v2/enqueue`` and ``/v2/change/enqueue`` carry the key in the body, so
  their rate is counted per client address instead (reading the body here would cost every
  request a second parse).
- every route with a secret in it (intake, heartbeats, PagerDuty, ``/a/`` action links,
  ``/ical/`` feeds, bearer tokens on ``/api``): a per-address budget of *failed* attempts, seen
  from the answer's status (404 for an unknown key, 401 for an unknown token...), so no route
  code changes. Once an address has spent it, requests from it are refused with 429, except
  those carrying a credential already proven (it was answered with success since, from
  anywhere) and one probe a minute for a credential not yet proven. Why not refuse everything:
  an Alertmanager behind the same NAT as a scanner must keep paging, and a valid key that
  arrives while its address is locked out gets through its first probe and is proven from then
  on. A refused guess costs the scanner its time, so key guessing is stopped either way. A
  PagerDuty request from a locked-out address is the one case where the body is read here, to
  find its routing key (rare path, abusers only); such a key is proven by succeeding on a URL
  intake route or on its address's probe.
- ``POST /login``: a per-address failure budget with a plain lockout (the token is in the form
  body, and a login page has no legitimate sender to spare), plus a per-address request rate.
- every other route (web pages, the API): a per-address request rate, and on ``/api`` a
  per-token rate keyed on a hash of the bearer token (never the token itself).
- a request body that does not arrive within ``body_read_timeout_seconds`` of the first read
  gets 408 and the connection is closed: a client that announces a body and trickles it cannot
  hold a connection and a task forever (uvicorn has no such timeout; it has none for headers
  either, which is why docs/security-limits.md puts a reverse proxy in front).

Counters live in this process (with ``--workers N`` each worker counts on its own, so a client
gets up to N times each budget). A refusal is counted in ``plantao_rate_limited_total{limit}``.

The counting (``plantao.api.limiter``) is a small table of our own, not the ``limits``
library: its module docstring says why.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import anyio
import orjson
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from plantao.api.limiter import ClientAddress, Limit, Windows, parse_networks
from plantao.config import Settings

RATE_LIMITED = Counter(
    "plantao_rate_limited_total",
    "Requests refused by a limit on abusive clients (429), or cut by the body read timeout (408)",
    ["limit"],
)


def digest(secret: str) -> str:
    """What a credential is counted under: never kept in clear, even in memory."""
    return hashlib.blake2b(secret.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


# Route classes.
INTAKE, PAGERDUTY, LINK, API, LOGIN, OTHER, EXEMPT = (
    "intake", "pagerduty", "link", "api", "login", "other", "exempt"
)  # fmt: skip
_SOURCES: Final = frozenset({"alertmanager", "grafana", "generic"})
_PROBES: Final = frozenset({"/healthz", "/healthz/engine", "/readyz", "/metrics"})
# Statuses that count as a failed attempt, per class: an unknown key or token, a tampered,
# expired or used link.
_FAILED: Final = {
    INTAKE: frozenset({401, 403, 404}),
    PAGERDUTY: frozenset({401, 403, 404}),
    LINK: frozenset({400, 401, 403, 404, 410}),
    API: frozenset({401}),
    LOGIN: frozenset({401, 403}),
}


def classify(method: str, path: str) -> tuple[str, str | None]:
    """The route class of a request and the secret its path carries, if any."""
    if path.startswith("/api/"):
        parts = path.split("/")
        if path.startswith("/api/v1/intake/") and len(parts) == 6 and parts[5] in _SOURCES:
            return INTAKE, parts[4]
        if path.startswith("/api/v1/heartbeats/") and len(parts) == 5:
            return INTAKE, parts[4]
        return API, None
    if path in ("/v2/enqueue", "/v2/change/enqueue"):
        return PAGERDUTY, None
    if path.startswith("/a/"):
        return LINK, path[3:]
    if path.startswith("/ical/"):
        return LINK, path[6:]
    if path == "/login" and method == "POST":
        return LOGIN, None
    if path in _PROBES:
        return EXEMPT, None
    return OTHER, None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer":
                return None
            return token.strip() or None
    return None


_ROUTING_KEY = re.compile(rb'"routing_key"\s*:\s*"([^"\\]{1,256})"')


class BodyReadTimeout(Exception):
    """The request body did not arrive in time; raised from ``receive`` to stop the route."""


@dataclass(frozen=True)
class Refusal:
    limit: str  # the metric label
    detail: str
    retry_after: float


class RateLimits:
    """The middleware; one set of counters per application (so per process)."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.enabled = settings.rate_limit_enabled
        self.body_timeout = settings.body_read_timeout_seconds
        self.peek_limit = settings.intake_max_body_bytes
        self.address = ClientAddress(parse_networks(settings.trusted_proxies))

        def windows(text: str, max_keys: int = 100_000) -> Windows:
            return Windows(Limit.parse(text), clock=clock, max_keys=max_keys)

        self.per_key = windows(settings.rate_limit_intake_per_key)
        self.pagerduty_per_ip = windows(settings.rate_limit_intake_per_key)
        self.per_ip = windows(settings.rate_limit_per_ip)
        self.per_token = windows(settings.rate_limit_per_token)
        self.login_rate = windows(settings.rate_limit_login_per_ip)
        self.failures = {
            INTAKE: windows(settings.rate_limit_intake_failures_per_ip),
            PAGERDUTY: windows(settings.rate_limit_intake_failures_per_ip),
            LINK: windows(settings.rate_limit_link_failures_per_ip),
            API: windows(settings.rate_limit_api_failures_per_ip),
            LOGIN: windows(settings.rate_limit_login_failures_per_ip),
        }
        # Credentials answered with success in the last hour, and one probe a minute per
        # locked-out address and class for a credential not proven yet.
        self.proven = Windows(Limit(1, 3600.0), clock=clock, max_keys=50_000)
        self.probes = {kind: Windows(Limit(1, 60.0), clock=clock) for kind in self.failures}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        timing = _Timing(self.body_timeout)
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            receive = timing.wrap(receive)
        kind, credential, ip = EXEMPT, None, ""
        if self.enabled:
            kind, credential = classify(method, scope["path"])
        if kind != EXEMPT:
            ip = self.address(scope)
            if kind == API:
                credential = _bearer(scope)
            try:
                refusal, credential, receive = await self._admit(
                    kind, credential, ip, scope, receive
                )
            except BodyReadTimeout:
                await _timed_out(send, self.body_timeout)
                return
            if refusal is not None:
                await _too_many(send, kind, refusal)
                return
        # On /api only a presented token can fail: a request without one is not a guess.
        watched = None if kind == API and credential is None else _FAILED.get(kind)

        async def observed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if timing.timed_out:
                    timing.answered = True
                    await _timed_out(send, self.body_timeout)
                    return
                status: int = message["status"]
                if watched is not None:
                    if status in watched:
                        self.failures[kind].add(ip)
                    elif status < 400 and credential:
                        self.proven.add(digest(credential))
            elif timing.answered:
                return  # the route's own answer to a body that timed out is dropped
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except BodyReadTimeout:
            if timing.answered:
                return
            timing.answered = True
            await _timed_out(send, self.body_timeout)
        else:
            if timing.timed_out and not timing.answered:
                await _timed_out(send, self.body_timeout)

    async def _admit(
        self, kind: str, credential: str | None, ip: str, scope: Scope, receive: Receive
    ) -> tuple[Refusal | None, str | None, Receive]:
        """Whether the request may run; for a locked-out PagerDuty sender, its routing key."""
        budget = self.failures.get(kind)
        if budget is not None:
            wait = budget.spent(ip)
            if wait:
                if kind == PAGERDUTY:
                    credential, receive = await _routing_key(receive, self.peek_limit)
                proven = credential is not None and self.proven.seen(digest(credential))
                if kind == LOGIN or (not proven and self.probes[kind].hit(ip)):
                    detail = f"too many failed attempts from this address ({budget.limit})"
                    return Refusal(f"{kind}_failures", detail, wait), credential, receive
        return self._rate(kind, credential, ip), credential, receive

    def _rate(self, kind: str, credential: str | None, ip: str) -> Refusal | None:
        if kind == INTAKE and credential is not None:
            return _over(self.per_key, digest(credential), "intake_per_key", "this key")
        if kind == PAGERDUTY:
            return _over(self.pagerduty_per_ip, ip, "intake_per_key", "this address")
        if kind == LOGIN:
            return _over(self.login_rate, ip, "login_per_ip", "this address")
        refusal = _over(self.per_ip, ip, "per_ip", "this address")
        if refusal is None and kind == API and credential:
            refusal = _over(self.per_token, digest(credential), "per_token", "this token")
        return refusal


def _over(windows: Windows, key: str, limit: str, who: str) -> Refusal | None:
    wait = windows.hit(key)
    if not wait:
        return None
    return Refusal(limit, f"too many requests from {who} ({windows.limit})", wait)


class _Timing:
    """The body read deadline of one request, counted from the route's first read."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.timed_out = False
        self.answered = False

    def wrap(self, receive: Receive) -> Receive:
        deadline: float | None = None
        complete = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:
                return await receive()  # after the body: waiting for a disconnect is fine
            if self.timed_out:
                raise BodyReadTimeout
            now = time.monotonic()
            if deadline is None:
                deadline = now + self.seconds
            try:
                with anyio.fail_after(max(deadline - now, 0.0)):
                    message = await receive()
            except TimeoutError:
                self.timed_out = True
                raise BodyReadTimeout from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        return timed_receive


async def _routing_key(receive: Receive, limit: int) -> tuple[str | None, Receive]:
    """Read a PagerDuty body (up to ``limit`` bytes) for its routing key, then replay it."""
    messages: deque[Message] = deque()
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > limit:
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
    match = _ROUTING_KEY.search(body)

    async def replay() -> Message:
        return messages.popleft() if messages else await receive()

    return (match.group(1).decode("utf-8", "replace") if match else None), replay


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _too_many(send: Send, kind: str, refusal: Refusal) -> None:
    """429 with ``Retry-After``: problem+json, or PagerDuty's error shape on its routes."""
    RATE_LIMITED.labels(refusal.limit).inc()
    retry_after = str(max(1, math.ceil(refusal.retry_after))).encode()
    if kind == PAGERDUTY:
        body = orjson.dumps(
            {
                "status": "throttle exceeded",
                "message": "Too many requests",
                "errors": [refusal.detail],
            }
        )
        content_type = b"application/json"
    else:
        body = orjson.dumps(
            {
                "type": "about:blank",
                "title": "Too many requests",
                "status": 429,
                "detail": refusal.detail,
            }
        )
        content_type = b"application/problem+json"
    await _answer(send, 429, body, [(b"content-type", content_type), (b"retry-after", retry_after)])


async def _timed_out(send: Send, seconds: float) -> None:
    """408, and the connection is closed: what is left of a trickled body is never read."""
    RATE_LIMITED.labels("body_read_timeout").inc()
    body = orjson.dumps(
        {
            "type": "about:blank",
            "title": "Request timeout",
            "status": 408,
            "detail": f"the request body did not arrive within {seconds:g} seconds",
        }
    )
    headers = [(b"content-type", b"application/problem+json"), (b"connection", b"close")]
    await _answer(send, 408, body, headers)
