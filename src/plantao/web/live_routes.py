"""``GET /live/incidents``: the Server-Sent Events stream the web pages update themselves from.

Only a signed-in browser may open it (the web session cookie, checked like a page; no bearer
token: this is a page's companion, not an API). Each change to an incident is one event::

    event: incident
    data: {"kind": "incident", "ref": "INC-20260101-3", "id": 42, "severity": "sev1",
           "status": "triggered", "title": "...", "new": true}

``new`` is true the first time the hub sees the incident (it was just opened). The stream starts
with ``retry: 3000``, sends a ``: keepalive`` comment every 15 s (proxies and browsers close
silent connections), and ends when the client goes, when the client cannot keep up, when the
web session ends (checked every minute: logout everywhere cuts open streams) or when the server
stops. ``?incident=INC-…`` narrows it to one incident's events. A private incident's events reach
only the streams of its responders and admins. ``static/live.js`` consumes it.
"""

from __future__ import annotations

import re
from typing import Annotated

import anyio
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import Response
from starlette.types import Message, Receive, Scope, Send

from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import Unauthenticated, ValidationFailed
from plantao.web import rendering, session_principal
from plantao.web.live_hub import LiveHub, Subscriber

router = APIRouter(include_in_schema=False)

RETRY_MILLISECONDS = 3000
_REF = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_KEEPALIVE = b": keepalive\n\n"


def make_hub(app: FastAPI, *, session_check: float = 60.0, keepalive: float = 15.0) -> LiveHub:
    """The app's hub: its database, and the web session rules for the periodic check (tests
    shorten the timings)."""
    factory = app.state.sessions
    settings = app.state.settings

    def dead_sessions(sids: set[str]) -> set[str]:
        with factory() as session:
            return {
                sid for sid in sids if not session_principal.session_alive(session, settings, sid)
            }

    return LiveHub(
        factory, dead_sessions=dead_sessions, session_check=session_check, keepalive=keepalive
    )


class EventStream(Response):
    """A ``text/event-stream`` answer fed by one hub subscriber until one side ends it.

    Written against ASGI directly rather than with ``StreamingResponse``: with ASGI 2.4 servers
    that one notices a client that left only at its next write, and a live stream that is
    quiet for 15 s would hold the hub's subscription that long; here a disconnect, the hub
    ending the stream (slow client, session ended, shutdown) and the keepalive are all awaited
    together.
    """

    media_type = "text/event-stream"

    def __init__(self, hub: LiveHub, subscriber: Subscriber) -> None:
        self.hub = hub
        self.subscriber = subscriber
        self.status_code = 200
        self.background = None
        # no-store: never cached; X-Accel-Buffering: nginx must pass events through at once.
        self.init_headers({"cache-control": "no-store", "x-accel-buffering": "no"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._body(send, f"retry: {RETRY_MILLISECONDS}\n\n".encode())
            async with anyio.create_task_group() as group:
                group.start_soon(self._pump, send, group.cancel_scope)
                group.start_soon(self._until_ended, group.cancel_scope)
                await self._until_disconnect(receive)
                group.cancel_scope.cancel()
        except OSError:  # the client went while we wrote
            return
        finally:
            self.hub.unsubscribe(self.subscriber)
        # A clean end of the chunked body, unless the client stopped reading (then give up).
        with anyio.move_on_after(1.0):
            try:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                return

    @staticmethod
    async def _body(send: Send, chunk: bytes) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def _pump(self, send: Send, scope: anyio.CancelScope) -> None:
        queue = self.subscriber.queue
        try:
            while True:
                chunk = _KEEPALIVE
                with anyio.move_on_after(self.hub.keepalive):
                    chunk = await queue.get()
                await self._body(send, chunk)
        except OSError:
            scope.cancel()

    async def _until_ended(self, scope: anyio.CancelScope) -> None:
        await self.subscriber.ended.wait()
        scope.cancel()

    @staticmethod
    async def _until_disconnect(receive: Receive) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                return


def _principal(request: Request) -> Principal | None:
    """The page's own check (``rendering.current``): opening the stream counts as activity and
    may rotate the session id, whose new cookie this response then carries."""
    with request.app.state.sessions() as session:
        return rendering.current(request, session)


@router.get("/live/incidents", response_model=None)
async def live_incidents(
    request: Request,
    incident: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """Server-Sent Events of incident changes for a signed-in browser (401 without a session)."""
    if incident is not None and not _REF.match(incident):
        raise ValidationFailed("incident: not an incident reference")
    principal = await anyio.to_thread.run_sync(_principal, request)
    sid = session_principal.session_id(request)  # after a rotation, the new id
    if principal is None or sid is None:
        raise Unauthenticated("log in to follow incidents live")
    principal.require(Need.READ)
    hub: LiveHub = request.app.state.live_hub
    subscriber = hub.subscribe(
        sid=sid, incident=incident, user_id=principal.user_id, is_admin=principal.is_admin
    )
    return EventStream(hub, subscriber)
