"""The live stream of a real ``plantao serve``: a browser's session follows an incident opened by
a real intake request, and loses the stream when it logs out; ``static/live.js`` in a real
Chromium, under the real Content-Security-Policy.

The hub re-checks open streams' sessions once a minute (production timing: ``plantao serve``
is started as an operator starts it), so the logout part waits up to 75 seconds.

The pages that use live.js test it as they use it; here live.js's own contract is tested on a
served page that does not load it (the login page, opened with a session): the hooks it looks
for (``data-live-url``, ``#live-alert``, ``#live-alert-toggle``, ``#live-session-ended``) are
added through the browser's devtools protocol, then the script is loaded from ``/static`` like a
page's ``<script src>``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer
from tests.factories.live_stream import SseStream
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.requirements import require_component

pytestmark = pytest.mark.e2e

SESSION_CHECK_WAIT = 15.0  # the servers' 2 s session check (tests/e2e/conftest.py) and slack


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


# What a page using live.js carries, added to the incident list for the test; events are
# recorded on window for the test to read.
_HOOKS = """() => {
  const main = document.querySelector('main');
  main.setAttribute('data-live-url', '/live/incidents');
  main.setAttribute('data-live-incident', 'INC-none');
  const wrap = document.createElement('label');
  wrap.id = 'live-alert';
  wrap.hidden = true;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = 'live-alert-toggle';
  wrap.appendChild(box);
  main.appendChild(wrap);
  const ended = document.createElement('p');
  ended.id = 'live-session-ended';
  ended.hidden = true;
  ended.textContent = 'The session ended';
  main.appendChild(ended);
  window.seen = {incident: [], current: [], open: [], ended: 0};
  document.body.addEventListener('plantao:incident', (e) => window.seen.incident.push(e.detail));
  document.body.addEventListener('plantao:current-incident',
    (e) => window.seen.current.push(e.detail));
  document.addEventListener('plantao:live-open', (e) => window.seen.open.push(e.detail));
  document.addEventListener('plantao:live-ended', () => { window.seen.ended += 1; });
}"""


@pytest.fixture
def page(plantao_sqlite: PlantaoServer) -> Iterator[Any]:
    """A headless system Chromium page (never a downloaded browser), signed in as a viewer."""
    executable = os.environ.get("PLANTAO_CHROMIUM") or shutil.which("chromium") or ""
    found = bool(executable) and Path(executable).exists()
    require_component("chromium", found and importlib.util.find_spec("playwright") is not None)
    from playwright.sync_api import sync_playwright

    handle = f"eyes{time.monotonic_ns()}"
    password = plantao_sqlite.create_user(handle, "viewer")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(locale="en-US")
            context.set_default_timeout(10_000)
            tab = context.new_page()
            tab.goto(f"{plantao_sqlite.base_url}/login")
            tab.fill("#handle", handle)
            tab.fill("#password", password)
            tab.click("form[action='/login'] button[type=submit]")
            tab.wait_for_url(lambda url: "/login" not in url)
            yield tab
        finally:
            browser.close()


def _host(page: Any, server: PlantaoServer) -> None:
    """Open the login page (it loads no live.js), add the hooks, then load live.js."""
    page.goto(f"{server.base_url}/login")
    page.evaluate(_HOOKS)
    page.add_script_tag(url="/static/live.js")


def _seen(page: Any, what: str) -> Any:
    return page.evaluate(f"() => window.seen.{what}")


def _until(page: Any, what: str, timeout: float = 15.0) -> Any:
    """Poll the page from here: a string predicate in the page would be eval, which the CSP
    refuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = _seen(page, what)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"the page never saw {what}")


def test_live_js_dispatches_events_and_keeps_the_alert_choice(
    plantao_sqlite: PlantaoServer, page: Any
) -> None:
    """live.js opens the stream, shows the alert toggle and keeps its choice, and turns a new
    incident into a plantao:incident DOM event (not plantao:current-incident for another ref)."""
    _host(page, plantao_sqlite)
    page.wait_for_selector("main[data-live-state=open]")
    assert _until(page, "open") == [{"first": True}]
    assert page.is_visible("#live-alert")
    page.check("#live-alert-toggle")
    assert page.evaluate("() => localStorage.getItem('plantao.live.alert')") == "on"
    webhook = am_webhook([am_alert("BrowserLive", severity="critical")], '{}:{alertname="BL"}')
    sent = httpx.post(plantao_sqlite.alertmanager_url, json=webhook, timeout=10.0)
    assert sent.status_code == 202, sent.text
    [event] = _until(page, "incident")
    assert event["kind"] == "incident" and event["new"] is True and event["title"]
    assert _seen(page, "current") == []
    _host(page, plantao_sqlite)
    assert page.is_checked("#live-alert-toggle"), "the choice did not survive a reload"


def test_live_js_stops_and_says_so_when_the_session_ended(
    plantao_sqlite: PlantaoServer, page: Any
) -> None:
    """A stream answered 401 (the session ended) is not retried: state 'ended', the message
    element shown, plantao:live-ended dispatched."""
    csrf = page.get_attribute("input[name=csrf]", "value")
    out = page.context.request.post(
        f"{plantao_sqlite.base_url}/logout", form={"csrf": csrf}, max_redirects=0
    )
    assert out.status == 303
    _host(page, plantao_sqlite)
    page.wait_for_selector("main[data-live-state=ended]")
    assert page.is_visible("#live-session-ended")
    assert _until(page, "ended") == 1
