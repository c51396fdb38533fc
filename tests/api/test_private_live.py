"""Live updates of private incidents: the stream (``GET /live/incidents``) of someone who may not
see a private incident never carries it, not even that it was opened; its responder's does.

Served by uvicorn on a loopback port as in ``test_live.py`` (a stream cannot be read through
TestClient); the hub's filtering is also checked on its own, without a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.api.app import create_app
from plantao.catalog import service as catalog_service
from plantao.config import Settings
from plantao.db import session_scope
from plantao.incidents import access
from plantao.incidents import service as incident_service
from plantao.web import live_routes
from plantao.web.live_cursor import IncidentChange
from plantao.web.live_hub import LiveHub
from tests.e2e.conftest import free_port
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.inbox import drain, latest_incident
from tests.factories.live_stream import SseStream
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user, token_for

CANARY = "Canary 9c1e: payroll export leaked"


@dataclass
class Served:
    base_url: str
    factory: sessionmaker[Session]
    token: str

    def login(self, handle: str) -> httpx.Cookies:
        with httpx.Client(base_url=self.base_url) as client:
            res = client.post(
                "/login",
                data={"handle": handle, "password": PASSWORD, "next": "/"},
                follow_redirects=False,
            )
            assert res.status_code == 303, res.text
            return client.cookies

    def open_public(self, alertname: str) -> str:
        body = am_webhook([am_alert(alertname)], group_key=f'{{}}:{{alertname="{alertname}"}}')
        res = httpx.post(f"{self.base_url}/api/v1/intake/{AM_KEY}/alertmanager", json=body)
        assert res.status_code == 202, res.text
        drain(self.factory)
        return latest_incident(self.factory)

    def open_private(self) -> str:
        """A private incident opened (as a declaration would) with 'insider' on it."""
        with session_scope(self.factory) as session:
            service = catalog_service.service_by_slug(session, "checkout")
            incident = incident_service.open_incident(
                session,
                title=CANARY,
                severity_name="sev1",
                service_id=service.id,
                route_id=None,
                group_key="private-live",
                group_window_seconds=3600,
                auto_resolve=False,
                detected_at=clock.now(),
                actor="admin-u",
            )
            incident.private = True
            insider = make_user(session, "insider", global_role="viewer")
            access.add_responder(session, incident, insider, actor="admin-u")
            incident_id = incident.id
        with session_scope(self.factory) as session:
            return incident_service.get(session, incident_id).human_id

    def note(self, ref: str, text: str) -> None:
        res = httpx.post(
            f"{self.base_url}/api/v1/incidents/{ref}/notes",
            json={"text": text},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert res.status_code == 201, res.text


@pytest.fixture
def served(db_url: str, factory: sessionmaker[Session]) -> Iterator[Served]:
    apply_standard(factory)
    with session_scope(factory) as session:
        admin = make_user(session, "admin-u", global_role="admin")
        make_user(session, "viewer-u", global_role="viewer")
        make_user(session, "insider", global_role="viewer")
        token = token_for(session, admin)
    port = free_port()
    settings = Settings(database_url=db_url, env="test", base_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, engine=factory.kw["bind"])
    app.state.live_hub = live_routes.make_hub(app, session_check=0.5, keepalive=0.5)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", factory, token)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def streaming(served: Served, handle: str, path: str = "/live/incidents") -> Iterator[SseStream]:
    stream = SseStream.open(served.base_url, served.login(handle), path)
    try:
        assert stream.status == 200
        assert stream.next_line() == "retry: 3000"
        yield stream
    finally:
        stream.close()


def _lines_until(stream: SseStream, marker: str) -> list[str]:
    """Every line up to the first one naming ``marker`` (which must come)."""
    lines: list[str] = []
    deadline = time.monotonic() + 10
    while True:
        try:
            line = stream.next_line(max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no event about {marker}; got {lines}") from None
        assert line is not None, "the stream ended"
        lines.append(line)
        if marker in line:
            return lines


def test_a_viewers_stream_never_carries_the_private_incident(served: Served) -> None:
    """Opened and then noted: the private incident's events reach its responder's stream and
    are absent from a viewer's (whole and filtered to its ref), which still gets public ones."""
    with (
        streaming(served, "viewer-u") as viewer,
        streaming(served, "insider") as insider,
        streaming(served, "admin-u") as admin,
    ):
        ref = served.open_private()
        with streaming(served, "viewer-u", f"/live/incidents?incident={ref}") as narrowed:
            opened = insider.event_for(ref)
            assert opened["new"] is True and opened["title"] == CANARY
            assert admin.event_for(ref)["title"] == CANARY
            served.note(ref, "still leaking")
            assert insider.event_for(ref)["new"] is False
            sentinel = served.open_public("AfterThePrivateOne")
            seen = _lines_until(viewer, sentinel)
            assert not [line for line in seen if ref in line or CANARY in line], seen
            served.note(ref, "one more")
            served.note(sentinel, "and a public note")
            assert insider.event_for(ref)["new"] is False
            assert viewer.event_for(sentinel)["new"] is False
            quiet = [narrowed.next_line(timeout=0.5) for _ in range(2)]
            assert all(line is not None and ref not in line for line in quiet), quiet


def test_the_hub_sends_a_private_change_only_to_its_audience_and_admins() -> None:
    """One read with a public and a private change: the shared chunk carries the public one;
    the private one is added for its responder and an admin, and for nobody else."""

    async def scenario() -> dict[str, bytes]:
        hub = LiveHub(sessionmaker(), dead_sessions=lambda sids: set())
        streams = {
            "viewer": hub.subscribe(sid="v", user_id=2),
            "insider": hub.subscribe(sid="i", user_id=3),
            "admin": hub.subscribe(sid="a", user_id=4, is_admin=True),
            "anonymous": hub.subscribe(sid="x"),
            "viewer_narrowed": hub.subscribe(sid="n", incident="INC-2", user_id=2),
            "insider_narrowed": hub.subscribe(sid="m", incident="INC-2", user_id=3),
        }
        public = IncidentChange(1, "INC-1", "sev2", "triggered", "public", True)
        secret = IncidentChange(
            2, "INC-2", "sev1", "triggered", CANARY, True, private=True, audience=frozenset({3})
        )
        hub.publish([public, secret])
        got = {}
        for name, subscriber in streams.items():
            got[name] = subscriber.queue.get_nowait() if not subscriber.queue.empty() else b""
        return got

    got = asyncio.run(scenario())
    for name in ("viewer", "anonymous"):
        assert b"INC-1" in got[name] and b"INC-2" not in got[name], name
    for name in ("insider", "admin"):
        assert b"INC-1" in got[name] and CANARY.encode() in got[name], name
    assert got["viewer_narrowed"] == b""
    assert b"INC-2" in got["insider_narrowed"] and b"INC-1" not in got["insider_narrowed"]
