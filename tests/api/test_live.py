"""The live stream (``GET /live/incidents``) through the whole ASGI app on a real database.

A streaming response cannot be read through TestClient or httpx's ASGITransport (both wait for
the body to end), so the app is served by uvicorn on a loopback port in a thread, with the hub
re-checking sessions every half second instead of every minute and a keepalive every half
second instead of every 15.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.auth import service as auth_service
from plantao.config import Settings
from plantao.db import session_scope
from plantao.incidents.models import Incident
from plantao.people import directory
from plantao.web import live_routes
from plantao.web.live_cursor import IncidentChange
from plantao.web.live_hub import LiveHub
from tests.e2e.conftest import free_port
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.inbox import drain, latest_incident
from tests.factories.live_stream import SseStream
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user, token_for


@dataclass
class Served:
    base_url: str
    factory: sessionmaker[Session]
    token: str
    hub: LiveHub

    def login(self) -> httpx.Cookies:
        """A fresh web session of the admin user; its cookies."""
        with httpx.Client(base_url=self.base_url) as client:
            res = client.post(
                "/login",
                data={"handle": "admin-u", "password": PASSWORD, "next": "/"},
                follow_redirects=False,
            )
            assert res.status_code == 303, res.text
            return client.cookies

    def open_incident(self, alertname: str) -> str:
        """Post an Alertmanager webhook, apply the inbox as the engine would; the new ref."""
        body = am_webhook([am_alert(alertname)], group_key=f'{{}}:{{alertname="{alertname}"}}')
        res = httpx.post(f"{self.base_url}/api/v1/intake/{AM_KEY}/alertmanager", json=body)
        assert res.status_code == 202, res.text
        drain(self.factory)
        return latest_incident(self.factory)

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
        yield Served(f"http://127.0.0.1:{port}", factory, token, app.state.live_hub)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextlib.contextmanager
def streaming(served: Served, path: str = "/live/incidents") -> Iterator[SseStream]:
    stream = SseStream.open(served.base_url, served.login(), path)
    try:
        assert stream.status == 200
        assert stream.next_line() == "retry: 3000"
        yield stream
    finally:
        stream.close()


def test_without_a_web_session_the_stream_is_401(served: Served) -> None:
    """No cookie, or only a bearer token (the API's credential), gets 401 problem+json."""
    anonymous = httpx.get(f"{served.base_url}/live/incidents")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert anonymous.json()["status"] == 401
    bearer = httpx.get(
        f"{served.base_url}/live/incidents",
        headers={"Authorization": f"Bearer {served.token}"},
    )
    assert bearer.status_code == 401


def test_a_new_incident_and_a_note_arrive_as_events(served: Served) -> None:
    """An incident opened by intake is an event with new=true; a note on it one with new=false."""
    with streaming(served) as stream:
        ref = served.open_incident("LiveNew")
        opened = stream.next_event()
        assert opened["kind"] == "incident"
        assert opened["ref"] == ref and opened["new"] is True
        assert opened["severity"] == "sev3" and opened["status"] == "triggered"
        with session_scope(served.factory) as session:
            incident_id = session.scalar(select(Incident.id).where(Incident.human_id == ref))
        assert opened["id"] == incident_id
        served.note(ref, "looking")
        noted = stream.next_event()
        assert noted["ref"] == ref and noted["new"] is False


def test_the_incident_filter_passes_only_that_incident(served: Served) -> None:
    """?incident=REF: a note on another incident is not sent, one on REF is."""
    watched = served.open_incident("LiveWatched")
    other = served.open_incident("LiveOther")
    with streaming(served, f"/live/incidents?incident={watched}") as stream:
        served.note(other, "elsewhere")
        served.note(watched, "here")
        event = stream.next_event()
        assert event["ref"] == watched


def test_a_malformed_incident_filter_is_refused(served: Served) -> None:
    """A filter that cannot be an incident reference is 422, not a stream that never speaks."""
    with httpx.Client(base_url=served.base_url, cookies=served.login()) as client:
        res = client.get("/live/incidents", params={"incident": "INC 1;<x>"})
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")


def test_a_quiet_stream_sends_keepalive_comments(served: Served) -> None:
    """With nothing changing, the stream still sends ': keepalive' comments."""
    with streaming(served) as stream:
        lines = [stream.next_line() for _ in range(2)]
        assert ": keepalive" in lines


def test_logging_out_everywhere_ends_open_streams(served: Served) -> None:
    """Ending the user's sessions closes the open stream; reconnecting is then 401."""
    cookies = served.login()
    stream = SseStream.open(served.base_url, cookies, "/live/incidents")
    try:
        assert stream.status == 200
        with session_scope(served.factory) as session:
            user = directory.by_handle(session, "admin-u")
            assert user is not None
            assert auth_service.end_user_sessions(session, user.id) >= 1
        assert stream.ends(), "the stream outlived the session"
        again = httpx.get(f"{served.base_url}/live/incidents", cookies=cookies)
        assert again.status_code == 401
    finally:
        stream.close()


def test_a_client_that_does_not_read_is_dropped_and_others_keep_receiving() -> None:
    """A full queue ends that stream (reason 'slow'); a stream that reads gets every event."""

    async def scenario() -> tuple[str | None, list[bytes], bool]:
        hub = LiveHub(sessionmaker(), dead_sessions=lambda sids: set(), queue_size=2)
        stalled = hub.subscribe(sid="a")
        reading = hub.subscribe(sid="b")
        received: list[bytes] = []
        for number in range(5):
            change = IncidentChange(number, f"INC-{number}", "sev1", "triggered", "t", True)
            hub.publish([change])
            received.append(await reading.queue.get())
        return stalled.reason, received, stalled in hub.subscribers

    reason, received, still_subscribed = asyncio.run(scenario())
    assert reason == "slow" and not still_subscribed
    assert [b'"ref":"INC-%d"' % n in chunk for n, chunk in enumerate(received)] == [True] * 5
