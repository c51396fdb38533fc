"""The operator pages in a real Chromium on a real ``plantao serve``: at 1366 and 390 px they fit
the screen, pass axe-core and show their content; a token is created through the form and shown
once (and copied); an intake key is revealed only to an admin; a delivery that failed for real is
retried from /deliveries; the audit log names the CLI operator and the browser's actions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import AM_KEY, PlantaoServer, free_port, start_plantao, stop_plantao
from tests.e2e.test_browser import ADMIN_ACTOR, TIMEOUT_MS, browser, log_in
from tests.e2e.ui_harness import axe_violations, check_page, describe, horizontal_overflow
from tests.factories.notify import SmtpSink
from tests.factories.payloads import am_alert, am_webhook

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

WIDTHS = (1366, 390)
# ana is paged by e-mail (a real SMTP sink: sent) and by a webhook nobody listens on (a real
# connection refused: retrying, with the error), so /deliveries has real states to show.
CONFIG = """
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - handle: ana
    name: Ana
    email: ana@example.com
    time_zone: America/Sao_Paulo
    contact_methods:
      - {{name: mail, type: email, address: ana@example.com}}
      - name: hook
        type: webhook
        address: "http://127.0.0.1:{closed}/hook"
        secret: e2e-webhook-secret-0123
    notification_rules: [{{contact: mail, after: 0m}}, {{contact: hook, after: 0m}}]
services:
  - {{slug: platform, name: Platform, team: sre, escalation_policy: primary}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {key}}}
escalation_policies:
  - {{slug: primary, name: Primary, steps: [{{delay: 0m, targets: [{{user: ana}}]}}]}}
heartbeats:
  - {{slug: nightly-backup, name: Nightly backup, service: platform, interval: 1d, grace: 1h}}
severity_matrix:
  default: sev2
"""


@pytest.fixture(scope="module")
def ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """A Plantão on SQLite whose one incident paged ana by mail (sent) and webhook (failing)."""
    smtp = SmtpSink(free_port()).start()
    env = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp.port),
        "PLANTAO_SMTP_FROM": "plantao@plantao.test",
    }
    config = CONFIG.format(closed=free_port(), key=AM_KEY)
    started = start_plantao("sqlite", tmp_path_factory.mktemp("ops"), config, env)
    try:
        server = started.server
        body = am_webhook([am_alert("BackupLate", summary="backup is 2 h late")])
        assert httpx.post(server.alertmanager_url, json=body, timeout=10).status_code == 202
        _wait_for_states(server, {"sent", "retrying"})
        yield server
    finally:
        stop_plantao(started)
        smtp.stop()


def _wait_for_states(server: PlantaoServer, wanted: set[str]) -> None:
    """The engine pages ana and tries both channels within moments."""
    deadline = time.monotonic() + 30
    states: set[str] = set()
    while time.monotonic() < deadline:
        with server.client() as client:
            states = {d["state"] for d in client.get("/api/v1/deliveries").json()["items"]}
        if wanted <= states:
            return
        time.sleep(0.1)
    raise AssertionError(f"deliveries reached {states}, not {wanted}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh English context that may use the clipboard (the copy buttons)."""
    context = browser.new_context(locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits_and_is_accessible(page: Any, where: str) -> None:
    """The current page (e.g. a form's answer, which check_page cannot reload) passes the same
    layout and axe-core checks as check_page."""
    overflow = horizontal_overflow(page)
    assert overflow is None, f"{where}: horizontal scroll: {overflow}"
    failing = [v for v in axe_violations(page) if v.get("impact") in ("serious", "critical")]
    assert not failing, f"{where}: axe:\n{describe(failing)}"


@pytest.mark.parametrize("width", WIDTHS)
def test_token_created_in_the_form_is_shown_once_and_copied(
    ops: PlantaoServer, page: Any, width: int, tmp_path: Path
) -> None:
    """Create a token through the form: the answer shows it (copy button works), the API
    accepts it, and the token list never shows it again."""
    from playwright.sync_api import expect

    log_in(page, ops)
    check_page(
        page,
        f"{ops.base_url}/tokens",
        widths=(width,),
        expect_text=["API tokens", "New token", "Everyone's tokens"],
        out_dir=tmp_path,
    )
    name = f"laptop-{width}"
    page.fill("#token-name", name)
    page.check("input[name=scopes][value=read]")
    page.select_option("#token-expiry", "30")
    page.click("form[action='/tokens'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("Token created")
    clear = page.input_value("#new-token")
    assert clear.startswith("plt_")
    _fits_and_is_accessible(page, f"token created at {width}px")
    page.click("button[data-copy=new-token]")
    expect(page.locator(".ad-copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == clear
    me = httpx.get(
        f"{ops.base_url}/api/v1/me", headers={"Authorization": f"Bearer {clear}"}, timeout=10
    )
    assert me.status_code == 200 and me.json()["handle"] == ADMIN_ACTOR
    page.goto(f"{ops.base_url}/tokens")
    expect(page.locator("table.ad-tokens").first).to_contain_text(name)
    assert clear not in page.content()


@pytest.mark.parametrize("width", WIDTHS)
def test_services_reveal_the_intake_url_to_admins_only(
    ops: PlantaoServer, page: Any, width: int, tmp_path: Path
) -> None:
    """Services show team, policy, the last alert and a masked intake URL that an admin reveals
    (and copies); a viewer's page holds no key at all."""
    from playwright.sync_api import expect

    log_in(page, ops)
    check_page(
        page,
        f"{ops.base_url}/services",
        widths=(width,),
        expect_text=["Services", "Platform", "SRE", "Primary", "Alertmanager"],
        out_dir=tmp_path,
    )
    row = page.locator("#integration-am")
    expect(row.locator("time")).to_have_count(1)  # the alert the fixture sent
    secret = row.locator("input.ad-secret")
    expect(secret).to_be_hidden()
    row.locator("summary").click()
    expect(secret).to_be_visible()
    assert secret.input_value() == f"{ops.base_url}/api/v1/intake/{AM_KEY}/alertmanager"
    row.locator("button.ad-copy").click()
    expect(row.locator(".ad-copy-status")).to_have_text("Copied to the clipboard.")
    _fits_and_is_accessible(page, f"services with the URL revealed at {width}px")

    viewer = page.context.browser.new_context(locale="en-US")
    try:
        other = viewer.new_page()
        other.set_viewport_size({"width": width, "height": 900})
        log_in(other, ops, "vera")
        other.goto(f"{ops.base_url}/services")
        expect(other.locator("h1")).to_have_text("Services")
        assert AM_KEY not in other.content()
    finally:
        viewer.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_deliveries_show_real_states_and_retry(
    ops: PlantaoServer, page: Any, width: int, tmp_path: Path
) -> None:
    """Every delivery is listed with its state and the real error; the failing webhook one is
    retried from the page."""
    from playwright.sync_api import expect

    log_in(page, ops)
    check_page(
        page,
        f"{ops.base_url}/deliveries",
        widths=(width,),
        expect_text=["Deliveries", "Sent", "Retrying", "webhook", "email"],
        out_dir=tmp_path,
    )
    failing = page.locator("table.ad-deliveries tr.retrying").first
    expect(failing.locator("pre.ad-error")).not_to_be_empty()
    failing.locator("button[type=submit]").click()
    expect(page.locator(".banner.success")).to_contain_text("will be sent again now")
    page.goto(f"{ops.base_url}/deliveries?state=sent")
    expect(page.locator("table.ad-deliveries tbody tr").first).to_contain_text("email")
    expect(page.locator("table.ad-deliveries tr.retrying")).to_have_count(0)


@pytest.mark.parametrize("width", WIDTHS)
def test_audit_log_names_the_operator_and_filters(
    ops: PlantaoServer, page: Any, width: int, tmp_path: Path
) -> None:
    """The audit page shows the CLI's plantao apply and user creation; a filter typed in the
    form lands in the URL and narrows the table to the apply, named cli:<os user>."""
    from playwright.sync_api import expect

    log_in(page, ops)
    check_page(
        page,
        f"{ops.base_url}/audit",
        widths=(width,),
        expect_text=["Audit log", "config.apply", "user.create", "Export CSV"],
        out_dir=tmp_path,
    )
    page.fill("#f-action", "config")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(lambda url: "action=config" in url)
    rows = page.locator("table.ad-audit tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("cli:")
    expect(rows.first).to_contain_text("+ integration am")
    _fits_and_is_accessible(page, f"filtered audit at {width}px")


def test_other_operator_pages_fit_and_pass_axe(
    ops: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Heartbeats, inbox, people, teams and settings: no horizontal scroll, axe-core clean,
    their content visible, at 1366 and 390 px."""
    log_in(page, ops)
    for path, texts in (
        ("/heartbeats", ["Heartbeats", "Nightly backup", "Waiting"]),
        ("/inbox", ["Intake inbox", "No failed entries."]),
        ("/users", ["People", "ana", ADMIN_ACTOR]),
        ("/teams", ["Teams", "SRE", "Add a member"]),
        ("/settings", ["Settings", "Password login"]),
        ("/users?lang=pt-BR", ["Pessoas", "Papel global"]),
    ):
        check_page(page, f"{ops.base_url}{path}", expect_text=texts, out_dir=tmp_path)
