"""The live stream of a real ``plantao serve``: a browser's session follows an incident opened by
a real intake request, and loses the stream when it logs out.

The hub re-checks open streams' sessions once a minute (production timing: ``plantao serve``
is started as an operator starts it), so the logout part waits up to 75 seconds.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer
from tests.factories.live_stream import SseStream
from tests.factories.payloads import am_alert, am_webhook

pytestmark = pytest.mark.e2e

SESSION_CHECK_WAIT = 75.0  # the hub's one-minute session check, plus a poll and some slack


def _log_in(server: PlantaoServer) -> httpx.Client:
    """A browser-like client signed in with a local password; keeps its cookies."""
    password = server.create_user("watcher", "viewer")
    client = httpx.Client(base_url=server.base_url, timeout=10.0)
    res = client.post(
        "/login",
        data={"handle": "watcher", "password": password, "next": "/"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    return client


def _csrf(client: httpx.Client) -> str:
    page = client.get("/")
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, "no form with a CSRF token on the incident list"
    return match.group(1)


def test_the_stream_needs_a_session_shows_an_alert_and_ends_at_logout(
    plantao_server: PlantaoServer,
) -> None:
    """401 without a session; with one, an Alertmanager alert arrives as a new-incident event
    (the scripts the page loads are served); after logout the stream ends and stays 401."""
    server = plantao_server
    anonymous = httpx.get(f"{server.base_url}/live/incidents", timeout=10.0)
    assert anonymous.status_code == 401
    for script in ("live.js", "htmx.min.js", "htmx-ext-sse.js"):
        res = httpx.get(f"{server.base_url}/static/{script}", timeout=10.0)
        assert res.status_code == 200 and "javascript" in res.headers["content-type"]
    browser = _log_in(server)
    stream = SseStream.open(server.base_url, browser.cookies, "/live/incidents")
    try:
        assert stream.status == 200
        assert stream.next_line() == "retry: 3000"
        webhook = am_webhook(
            [am_alert("LiveDiskFull", severity="critical")], group_key='{}:{alertname="Disk"}'
        )
        sent = httpx.post(server.alertmanager_url, json=webhook, timeout=10.0)
        assert sent.status_code == 202, sent.text
        event = stream.next_event(timeout=20.0)
        assert event["kind"] == "incident" and event["new"] is True
        assert event["ref"].startswith("INC-") and event["status"] == "triggered"
        listed = server.client().get(f"/api/v1/incidents/{event['ref']}")
        assert listed.status_code == 200, listed.text

        captured = httpx.Cookies(browser.cookies)  # the cookie as it was before logout
        out = browser.post("/logout", data={"csrf": _csrf(browser)}, follow_redirects=False)
        assert out.status_code == 303
        assert stream.ends(SESSION_CHECK_WAIT), "the stream outlived the logout"
    finally:
        stream.close()
    again = httpx.get(f"{server.base_url}/live/incidents", cookies=captured, timeout=10.0)
    assert again.status_code == 401, "a cookie captured before logout still opens the stream"
    browser.close()
