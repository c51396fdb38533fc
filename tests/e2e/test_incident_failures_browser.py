"""What went wrong with paging, visible in a real Chromium on a real ``plantao serve`` (engine
inside): a page whose e-mail cannot be sent (no SMTP server configured) shows *failed* with
that reason, and one whose webhook hits a closed loopback port shows *retrying* with the
connection error; an incident on a service with no escalation policy shows the red "nobody was
paged" banner. Both pages fit 390 px and pass axe-core; and a change event from Argo CD on the
incident's service offers "Roll back", which opens the guarded step with the change's values."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import AM_KEY, PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in
from tests.e2e.test_incident_page_browser import LIVE_TIMEOUT_MS
from tests.e2e.ui_harness import check_page, install_axe
from tests.factories.notify import WEBHOOK_SECRET
from tests.factories.payloads import am_alert, am_webhook

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

PLATFORM_KEY = "e2e-platform-key-0123456789abcdef"
PD_KEY = "e2e-pd-change-key-0123456789abcdef"
CONFIG = """
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - handle: ana
    name: Ana Lima
    contact_methods:
      - {{name: mail, type: email, address: ana@example.com}}
      - {{name: pager-hook, type: webhook, address: "{hook}", secret: {secret}}}
    notification_rules: [{{contact: mail, after: 0m}}, {{contact: pager-hook, after: 0m}}]
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: primary}}
  - {{slug: platform, name: Platform, team: sre}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: checkout, key: {am_key}}}
  - {{slug: am-p, name: AM P, kind: alertmanager, service: platform, key: {platform_key}}}
  - {{slug: deploys, name: Deploys, kind: pagerduty, service: checkout, key: {pd_key}}}
escalation_policies:
  - slug: primary
    name: Primary
    steps:
      - {{delay: 0m, targets: [{{user: ana}}]}}
severity_matrix:
  default: sev1
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """``plantao serve`` on SQLite with no SMTP server configured and ana's webhook pointing
    at a loopback port nobody listens on."""
    config = CONFIG.format(
        hook=f"http://127.0.0.1:{_closed_port()}/pager",
        secret=WEBHOOK_SECRET,
        am_key=AM_KEY,
        platform_key=PLATFORM_KEY,
        pd_key=PD_KEY,
    )
    started = start_plantao("sqlite", tmp_path_factory.mktemp("failures"), config)
    try:
        yield started.server
    finally:
        stop_plantao(started)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        yield context.new_page()
    finally:
        context.close()


def _fire(server: PlantaoServer, key: str) -> str:
    """An Alertmanager alert through the integration ``key``; the incident's ref."""
    name = f"Down{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # the changes panel looks around it
    body = am_webhook(
        [am_alert(name, summary=f"{name}: 5xx above 20%", severity="critical", starts_at=now)],
        group_key=f'{{}}:{{alertname="{name}"}}',
    )
    url = f"{server.base_url}/api/v1/intake/{key}/alertmanager"
    assert httpx.post(url, json=body, timeout=10).status_code == 202
    deadline = time.monotonic() + 15
    with server.client() as client:
        while time.monotonic() < deadline:
            items = client.get("/api/v1/incidents").json()["items"]
            found = [i["human_id"] for i in items if name in i["title"]]
            if found:
                return str(found[0])
            time.sleep(0.05)
    raise AssertionError(f"no incident for {name}")


def test_failed_and_retrying_pages_show_on_the_incident(server: PlantaoServer, page: Any) -> None:
    """ana's e-mail page is failed ("e-mail is not configured") and her webhook page retrying
    (connection refused), each with its reason, on the live page; 390 px and axe-core pass."""
    from playwright.sync_api import expect

    ref = _fire(server, AM_KEY)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    url = f"{server.base_url}/incidents/{ref}"
    page.goto(url)
    panel = page.locator("#inc-oncall")
    failed = panel.locator(".inc-delivery[data-state=failed]")
    expect(failed).to_contain_text("e-mail (mail)", timeout=LIVE_TIMEOUT_MS)
    expect(failed).to_contain_text("reason: e-mail is not configured (set PLANTAO_SMTP_HOST)")
    retrying = panel.locator(".inc-delivery[data-state=retrying]")
    expect(retrying).to_contain_text("webhook (pager-hook)", timeout=LIVE_TIMEOUT_MS)
    expect(retrying).to_contain_text("reason: transport error")
    expect(page.locator(".inc-unpaged")).to_have_count(0)
    check_page(
        page,
        url,
        expect_text=["failed", "retrying", "e-mail is not configured"],
        ready="[data-live-state=open]",
    )


def test_unpaged_banner_in_the_browser(server: PlantaoServer, page: Any) -> None:
    """An alert on 'platform' (no policy, no team or installation default) opens an incident
    whose page shows the red banner saying nobody was paged and why, at 1366 and 390 px."""
    from playwright.sync_api import expect

    ref = _fire(server, PLATFORM_KEY)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    banner = page.locator("#inc-oncall .inc-unpaged[role=alert]")
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(banner).to_contain_text("Nobody was paged for this incident")
    expect(banner).to_contain_text("service 'platform' has no escalation policy")
    check_page(
        page,
        f"{server.base_url}/incidents/{ref}",
        expect_text=["Nobody was paged for this incident"],
        ready="[data-live-state=open]",
    )


def test_roll_back_an_argocd_change_from_the_incident(server: PlantaoServer, page: Any) -> None:
    """An Argo CD change event on checkout, then an incident there: its recent changes offer
    "Roll back"; following it shows the argocd-rollback step with app and revision filled in
    and a request with the command mistyped is refused by the guard (nothing queued)."""
    from playwright.sync_api import expect

    change = {
        "routing_key": PD_KEY,
        "payload": {
            "summary": "Synced checkout-api to 4f2a9c1",
            "source": "argocd",
            "custom_details": {"app": "checkout-api", "previous_history_id": 11},
        },
    }
    answer = httpx.post(f"{server.base_url}/v2/change/enqueue", json=change, timeout=10)
    assert answer.status_code == 202
    time.sleep(0.5)  # the engine records the change before the incident it explains
    ref = _fire(server, AM_KEY)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    link = page.locator("#inc-changes a.inc-rollback-link")
    expect(link).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    link.click()
    step = page.locator("#step-release-regression-rollback-argocd-rollback")
    expect(step).to_be_visible()
    expect(step.locator("input[name=param_app]")).to_have_value("checkout-api")
    expect(step.locator("input[name=param_revision]")).to_have_value("11")
    expect(step.locator("textarea[name=confirm_command]")).to_be_visible()
    step.locator("textarea[name=confirm_command]").fill("argocd app rollback checkout-api")
    step.locator("button[type=submit]").click()  # not the exact command: the guard refuses
    expect(page.locator(".banner.error").first).to_contain_text("not the exact command shown")
    with server.client() as client:
        assert client.get(f"/api/v1/incidents/{ref}/runs").json() == []
