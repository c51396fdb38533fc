"""The public status routes: ``/status[/<slug>]`` (HTML, ``/incidents/<id>``, ``/history``,
``/theme.css``, ``/feed.atom``, ``/feed.rss``) and the Statuspage JSON under ``/api/v2/``, with
no login (an ``internal`` page needs a signed-in web session).

Two layers, because these pages are read by every customer at once during an outage:

- :class:`StatusFastPath`, a pure ASGI middleware mounted outside the whole stack, answers a
  GET or HEAD of a *public* page from the snapshots in memory
  (:class:`~plantao.statuspage.serving.SnapshotStore`): a dictionary look-up, the ETag check
  and one ``send``. Measured on the 2-core machine (``benchmarks/status_page.py``), the same
  bytes through the normal stack (RequestContext, SecurityHeaders, RateLimits, BodyGuard,
  SessionMiddleware, FastAPI's routing over some 300 routes, a thread for a sync handler) cost
  several times more per request than this path; the target is 2,000 requests/s with p99 under
  50 ms. It sends the same security headers as :mod:`plantao.api.security_headers` (its CSP
  also lets a page's logo load from any https site), an ``x-request-id``, and counts the
  request in the same HTTP metrics as :mod:`plantao.api.middleware`, logging only errors
  (like the health probes: a line per request would cost more than the request). It has no
  rate limit: it does no work a client could make expensive.
- Everything it does not answer falls through to the normal stack: :data:`router`'s routes
  serve internal pages (session check), render on demand what no snapshot holds yet (a page
  never rendered, an old incident, a later history page) and answer 404 for unknown pages; the
  subscription forms (``/status/subscribe``…) are other routes, matched before these.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote

import anyio
import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.api.middleware import _new_id
from plantao.api.security_headers import CSP
from plantao.config import Settings
from plantao.errors import NotFound
from plantao.observability.metrics import LATENCY, REQUESTS
from plantao.statuspage import page_gather, page_html, serving, snapshots
from plantao.statuspage.models import StatusPage
from plantao.statuspage.serving import CACHE_CONTROL, Index, SnapshotStore, Target
from plantao.statuspage.snapshots import Artifact
from plantao.web import rendering

log = structlog.get_logger("plantao.http")
# The ASGI shapes, spelled here: below the entry points only FastAPI's router may be imported.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
router = APIRouter(include_in_schema=False)

#: The app's policy, except that a page's logo may come from any https site.
STATUS_CSP = CSP.replace("img-src 'self' data:", "img-src 'self' data: https:").encode()
_SECURITY = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", STATUS_CSP),
)
_PUBLIC_CACHE = CACHE_CONTROL.encode()
_PRIVATE_CACHE = b"private, no-cache"


def _headers(
    artifact: Artifact, *, public: bool, https: bool, gzipped: bool = False
) -> list[tuple[bytes, bytes]]:
    etag = f'"{artifact.etag}-gz"' if gzipped else f'"{artifact.etag}"'
    headers = [
        (b"content-type", artifact.content_type.encode()),
        (b"etag", etag.encode()),
        (b"cache-control", _PUBLIC_CACHE if public else _PRIVATE_CACHE),
        *_SECURITY,
    ]
    if artifact.content_type.startswith("text/html"):
        headers.append((b"vary", b"accept-language, accept-encoding"))
    else:
        headers.append((b"vary", b"accept-encoding"))
    if gzipped:
        headers.append((b"content-encoding", b"gzip"))
    if public and artifact.content_type == snapshots.JSON:
        headers.append((b"access-control-allow-origin", b"*"))
    if https:
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or f'"{etag}"' in tags or f'"{etag}-gz"' in tags


class StatusFastPath:
    """See the module docstring."""

    def __init__(self, app: ASGIApp, *, store: SnapshotStore, https: bool) -> None:
        self.app = app
        self.store = store
        self.https = https

    def _ours(self, path: str) -> bool:
        if path == "/status" or path.startswith(("/status/", "/api/v2/")):
            return True
        return path == "/" and bool(self.store.index.by_host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not self._ours(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        store = self.store
        if not store.loaded and store.due():
            await anyio.to_thread.run_sync(store.refresh)
        store.refresh_in_background()
        host = accept = etag_in = None
        wants_gzip = False
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"accept-language":
                accept = value.decode("latin-1")
            elif name == b"if-none-match":
                etag_in = value.decode("latin-1")
            elif name == b"accept-encoding":
                wants_gzip = b"gzip" in value and b"gzip;q=0" not in value.replace(b" ", b"")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        target = serving.resolve(store.index, scope["path"], host or "", query, accept)
        found = None
        if target is not None and target.page.audience == "public":
            found = store.get(target.page.id, target.name)
        if target is None or found is None:
            await self.app(scope, receive, send)
            return
        status = 304 if _matches(etag_in, found.etag) else 200
        packed = store.gzipped(target.page.id, found) if wants_gzip else None
        headers = _headers(found, public=True, https=self.https, gzipped=packed is not None)
        headers.append((b"x-request-id", _new_id().encode()))
        full = found.body if packed is None else packed
        body = b"" if status == 304 or scope["method"] == "HEAD" else full
        headers.append((b"content-length", str(len(full) if status == 200 else 0).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        elapsed = time.perf_counter() - started
        REQUESTS.labels(scope["method"], target.route, str(status)).inc()
        LATENCY.labels(scope["method"], target.route).observe(elapsed)


def make_store(factory: sessionmaker[Session], settings: Settings) -> SnapshotStore:
    """The process's store (``api.app`` keeps it in ``app.state.status_snapshots``)."""
    return SnapshotStore(factory, snapshots.directory_of(settings))


# ---------------------------------------------------------------------------------------------
# The routes behind the fast path


def _respond(request: Request, artifact: Artifact, *, public: bool) -> Response:
    https = request.app.state.settings.base_url.startswith("https://")
    headers = {k.decode(): v.decode() for k, v in _headers(artifact, public=public, https=https)}
    if _matches(request.headers.get("if-none-match"), artifact.etag):
        return Response(status_code=304, headers=headers)
    media = headers.pop("content-type")
    return Response(content=artifact.body, media_type=media, headers=headers)


def _unavailable() -> Response:
    return Response(
        "The status page is not available right now; try again in a minute.",
        status_code=503,
        media_type="text/plain; charset=utf-8",
        headers={"retry-after": "30", "cache-control": "no-store"},
    )


def _render(session: Session, store: SnapshotStore, target: Target) -> Artifact | None:
    """The artifact rendered now from the database; whole pages are kept in the store."""
    page = session.get(StatusPage, target.page.id)
    if page is None:
        return None
    now = clock.now()
    kind, _, rest = target.name.partition(":")
    if kind == "incident":
        number, _, language = rest.partition(":")
        item = page_gather.incident(session, page, int(number))
        if item is None:
            return None
        view = page_gather.view(session, page, now)
        body = page_html.incident(view, item, language).encode()
        return snapshots.artifact(target.name, snapshots.HTML, body)
    if kind == "history":
        number, _, language = rest.partition(":")
        items, total = page_gather.history(session, page, int(number))
        if int(number) > total:
            return None
        view = page_gather.view(session, page, now)
        body = page_html.history(view, items, int(number), total, language).encode()
        return snapshots.artifact(target.name, snapshots.HTML, body)
    rendered = snapshots.render_page(session, page, now)
    store.put(page.id, rendered)
    return next((a for a in rendered if a.name == target.name), None)


def serve(request: Request, session: SessionDep) -> Response:
    """A status route the fast path did not answer; see the module docstring."""
    store: SnapshotStore = request.app.state.status_snapshots
    query = dict(request.query_params)
    path = request.url.path
    try:
        entries = [snapshots.entry_of(p) for p in session.scalars(select(StatusPage))]
        index = Index.of(entries)
        database = True
    except (OperationalError, DBAPIError):
        session.rollback()
        index, database = store.index, False
    target = serving.resolve(
        index, path, request.headers.get("host", ""), query, request.headers.get("accept-language")
    )
    if target is None:
        raise NotFound("No such status page.")
    public = target.page.audience == "public"
    if not public:
        if not database:
            return _unavailable()
        if rendering.current(request, session) is None:
            next_path = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(next_path, safe=""), status_code=303)
    artifact = store.get(target.page.id, target.name)
    if artifact is None:
        if not database:
            return _unavailable()
        try:
            artifact = _render(session, store, target)
        except (OperationalError, DBAPIError):
            return _unavailable()
    if artifact is None:
        raise NotFound("No such status page.")
    return _respond(request, artifact, public=public)


router.add_api_route("/status", serve, methods=["GET"])
router.add_api_route("/status/{rest:path}", serve, methods=["GET"])
router.add_api_route("/api/v2/{rest:path}", serve, methods=["GET"])
