"""The incident page in a real Chromium on a real ``plantao serve`` (engine inside, delivering
to a real webhook receiver that answers 503): "Who's on it" shows who was paged, the delivery
retrying with its reason, the next step and the acknowledge target, at 1366 and 390 px with no
horizontal scroll and no serious axe-core finding; and a note added through the API appears
on the open page without a reload."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import AM_KEY, PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in
from tests.e2e.ui_harness import (
    FAILING_IMPACTS,
    PNG_MAGIC,
    VIEWPORT_HEIGHT,
    axe_violations,
    describe,
    horizontal_overflow,
    install_axe,
)
from tests.factories.notify import WEBHOOK_SECRET, WebhookReceiver
from tests.factories.payloads import am_alert, am_webhook

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

LIVE_TIMEOUT_MS = 20_000
CONFIG = """
version: 1
teams: [{{slug: sre, name: SRE, members: [ana, bruno]}}]
users:
  - handle: ana
    name: Ana Lima
    time_zone: America/Sao_Paulo
    contact_methods: [{{name: pager-hook, type: webhook, address: "{hook}", secret: {secret}}}]
    notification_rules: [{{contact: pager-hook, after: 0m}}]
  - {{handle: bruno, name: Bruno Souza}}
services:
  - {{slug: platform, name: Platform, team: sre, escalation_policy: primary}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {key}}}
escalation_policies:
  - slug: primary
    name: Primary
    steps:
      - {{delay: 0m, targets: [{{user: ana}}]}}
      - {{delay: 30m, targets: [{{user: bruno}}]}}
severity_matrix:
  default: sev1
"""


@pytest.fixture(scope="module")
def hooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(status=503).start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def paging_server(
    tmp_path_factory: pytest.TempPathFactory, hooks: WebhookReceiver
) -> Iterator[PlantaoServer]:
    """``plantao serve`` on SQLite whose escalation pages ana through the failing webhook."""
    config = CONFIG.format(hook=f"{hooks.url}/pager", secret=WEBHOOK_SECRET, key=AM_KEY)
    started = start_plantao("sqlite", tmp_path_factory.mktemp("incident-page"), config)
    try:
        yield started.server
    finally:
        stop_plantao(started)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), English locale, axe-core added before the page's scripts
    (a live page is never reloaded to add it)."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        yield context.new_page()
    finally:
        context.close()


def fire(server: PlantaoServer) -> str:
    """An Alertmanager alert through the real intake; the incident's ref once it is open."""
    name = f"CheckoutDown{uuid.uuid4().hex[:6]}"
    alert = am_alert(name, summary=f"{name}: checkout 5xx above 20%", severity="critical")
    alert["annotations"]["description"] = "Error rate 23% for 5 min.\nSince the 14:02 deploy."
    body = am_webhook([alert], group_key=f'{{}}:{{alertname="{name}"}}')
    assert httpx.post(server.alertmanager_url, json=body, timeout=10).status_code == 202
    deadline = time.monotonic() + 15
    with server.client() as client:
        while time.monotonic() < deadline:
            items = client.get("/api/v1/incidents").json()["items"]
            found = [i["human_id"] for i in items if name in i["title"]]
            if found:
                return str(found[0])
            time.sleep(0.05)
    raise AssertionError(f"no incident for {name}")


def open_live(page: Any, url: str, width: int) -> None:
    """Load the page at ``width`` and wait until its live stream is open (the stream never
    ends, so "network idle" never comes)."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
    page.goto(url, wait_until="load")
    expect(page.locator("[data-live-state=open]")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)


def test_whos_on_it_at_desktop_and_phone_widths(
    paging_server: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """The panel names ana, the webhook retrying with HTTP 503, step 2 (bruno) with its due
    time and countdown, and the acknowledge target; both widths fit, axe-core finds nothing
    serious, and the screenshots are taken of that content."""
    from playwright.sync_api import expect

    server = paging_server
    ref = fire(server)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    url = f"{server.base_url}/incidents/{ref}"
    panel = page.locator("#inc-oncall")
    for width in (1366, 390):
        open_live(page, url, width)
        where = f"{url} at {width}px"
        # The engine in serve pages ana and tries the webhook: the page updates itself.
        delivery = panel.locator(".inc-delivery[data-state=retrying]")
        expect(delivery).to_contain_text("webhook (pager-hook)", timeout=LIVE_TIMEOUT_MS)
        expect(delivery).to_contain_text("reason: HTTP 503")
        expect(panel.locator(".inc-person").first).to_contain_text("Ana Lima (ana)")
        expect(panel.locator(".inc-person").first).to_contain_text("step 1 of 2")
        expect(panel.locator(".inc-next")).to_contain_text("Next: step 2 of 2")
        expect(panel.locator(".inc-targets")).to_contain_text("bruno")
        expect(panel.locator(".inc-next .inc-countdown")).to_have_text(
            re.compile(r"^\(in \d+:\d\d\)$")
        )
        expect(panel.locator(".inc-ack")).to_contain_text("Not acknowledged yet")
        expect(panel.locator(".inc-ack")).to_contain_text("Target: acknowledge within 5 min")
        expect(page.locator("#inc-alerts")).to_contain_text("Since the 14:02 deploy.")
        expect(page.locator("#inc-alerts a[href^='http://prometheus:9090']")).to_have_count(1)
        for text in ("Who's on it", "Escalate now", "Page responders", "Timeline"):
            expect(page.get_by_text(text).filter(visible=True).first).to_be_visible()
        overflow = horizontal_overflow(page)
        assert overflow is None, f"{where}: horizontal scroll: {overflow}"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        violations = axe_violations(page)
        if violations:
            print(f"axe-core on {where}:\n{describe(violations)}")
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        assert not failing, f"{where}: serious/critical axe violations:\n{describe(failing)}"
        shot = tmp_path / f"incident-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.read_bytes().startswith(PNG_MAGIC)


def test_a_note_added_through_the_api_appears_without_a_reload(
    paging_server: PlantaoServer, page: Any
) -> None:
    """With the page open, a note posted to the API shows up in its timeline; a marker set on
    window before is still there after (the page was not reloaded), and the note form keeps
    what was being typed."""
    from playwright.sync_api import expect

    server = paging_server
    ref = fire(server)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    open_live(page, f"{server.base_url}/incidents/{ref}", 390)
    page.evaluate("window.__plantaoMarker = 'still here'")
    page.fill("#inc-note-text", "half-typed thought")
    note = f"Rolled back release {uuid.uuid4().hex[:6]}; error rate falling."
    with server.client() as client:
        answer = client.post(f"/api/v1/incidents/{ref}/notes", json={"text": note})
        assert answer.status_code == 201, answer.text
    entry = page.locator("#inc-timeline ol.timeline li.note", has_text=note)
    expect(entry).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    expect(entry.locator(".actor")).to_contain_text("e2e-admin")  # the token's service account
    assert page.evaluate("window.__plantaoMarker") == "still here"
    assert page.input_value("#inc-note-text") == "half-typed thought"
    with server.client() as client:
        client.post(f"/api/v1/incidents/{ref}/acknowledge")
    expect(page.locator("#incident-status")).to_have_text("Acknowledged", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#inc-oncall .inc-ack")).to_contain_text("Met")
    assert page.evaluate("window.__plantaoMarker") == "still here"
