"""Incident messages in a real Chromium on a real ``plantao serve``: the Messages card previews
a template from the incident's data (no JavaScript needed to get there), and the template
editor refuses a broken template keeping what was typed; axe-core and the 390 px check on the
preview and editor pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in
from tests.e2e.ui_harness import check_page, install_axe

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

CONFIG = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana]}]
users:
  - {handle: ana, name: Ana Lima, time_zone: America/Sao_Paulo}
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: primary}
escalation_policies:
  - slug: primary
    name: Primary
    steps:
      - {delay: 0m, targets: [{user: ana}]}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """``plantao serve`` on SQLite with one service and its policy."""
    started = start_plantao("sqlite", tmp_path_factory.mktemp("messages"), CONFIG)
    try:
        yield started.server
    finally:
        stop_plantao(started)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), English locale, axe-core added before the page's scripts."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        yield context.new_page()
    finally:
        context.close()


def _declare(server: PlantaoServer) -> str:
    body = {"title": "Payments & checkout failing", "service": "checkout", "severity": "sev1"}
    with server.client() as client:
        res = client.post("/api/v1/incidents", json=body)
    assert res.status_code == 201, res.text
    return str(res.json()["number"])


def test_preview_a_customer_email_from_the_incident_page(
    server: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """The incident page (with its Messages card) and the preview it opens for the chosen
    template and language, showing the incident's ref and title in a copyable block, pass axe
    and fit 390 px."""
    from playwright.sync_api import expect

    ref = _declare(server)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    check_page(
        page,
        f"{server.base_url}/incidents/{ref}",
        expect_text=["Messages", "Preview"],
        out_dir=tmp_path,
        ready="[data-live-state=open]",
    )
    page.select_option("#com-template", "customer_email")
    page.select_option("#com-language", "pt-BR")
    page.click("#inc-messages button[type=submit]")
    expect(page.locator("#com-subject")).to_have_text(
        f"Atualização sobre Payments & checkout failing ({ref})"
    )
    expect(page.locator("#com-text")).to_contain_text("Pedimos desculpas pelo transtorno.")
    assert "{{" not in page.inner_text("#com-text")
    check_page(
        page,
        page.url,
        expect_text=["Payments & checkout failing", "Atualização sobre"],
        out_dir=tmp_path,
    )


def test_template_editor_refuses_a_broken_template_in_place(
    server: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Saving a template with an unknown variable shows the error and line and keeps the text."""
    from playwright.sync_api import expect

    log_in(page, server, path="/login?next=/admin/templates/status_update/en")
    check_page(
        page,
        f"{server.base_url}/admin/templates/status_update/en",
        expect_text=["Variables", "Rendered for a sample Sev1 incident"],
        out_dir=tmp_path,
    )
    page.fill("#com-body", "first\n{{ incident.nope }}")
    page.click("form[action='/admin/templates/status_update/en'] button[type=submit]")
    expect(page.locator("#com-error")).to_contain_text("body, line 2")
    assert page.input_value("#com-body") == "first\n{{ incident.nope }}"
    check_page(page, f"{server.base_url}/admin/templates", expect_text=["Message templates"])
