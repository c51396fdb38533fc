"""The incident list in a real Chromium on a real ``plantao serve``: it fits 1366 and 390 px
(cards on the phone, no horizontal scroll, axe-core clean) in both languages, and an incident
sent to the real intake webhook appears in the open list by itself, without a reload and
without losing the boxes ticked for a bulk action, which then acknowledges both."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in, open_incident
from tests.e2e.ui_harness import check_page, install_axe
from tests.factories.payloads import am_alert, am_webhook

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

LIVE_TIMEOUT_MS = 20_000
LIVE_OPEN = "[data-live-state=open]"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), English browser locale, axe-core added to every page
    before the page's own scripts (so no live page is reloaded to add it)."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        yield context.new_page()
    finally:
        context.close()


def check_live_page(page: Any, url: str, expect_text: list[str], out_dir: Path) -> list[Path]:
    """``ui_harness.check_page`` once the page's live stream is open (it never goes idle)."""
    return check_page(page, url, expect_text=expect_text, out_dir=out_dir, ready=LIVE_OPEN)


def row_display(page: Any) -> str:
    shown: str = page.evaluate(
        "() => getComputedStyle(document.querySelector('table.incidents tr.incident')).display"
    )
    return shown


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Incidents", "Acknowledge selected"]),
        ("pt-BR", ["Incidentes", "Reconhecer selecionados"]),
    ],
)
def test_list_fits_desktop_and_phone_where_rows_become_cards(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path, lang: str, words: list[str]
) -> None:
    """At 1366 px the list is a table, at 390 px each incident is a card; no horizontal
    scroll and no serious axe-core violation at either width; the incident and the bulk
    actions are visible in the page's language."""
    server = plantao_sqlite
    ref = open_incident(server)
    log_in(page, server)
    url = f"{server.base_url}/?lang={lang}"
    shots = check_live_page(page, url, [*words, ref, "SEV1"], tmp_path)
    assert len(shots) == 2
    # The check ends at the last width, 390 px: cards.
    assert row_display(page) == "block"
    card = page.locator("tr.incident", has=page.locator(f"a:text-is('{ref}')"))
    assert card.locator("td[data-label]").first.is_visible()
    label = page.evaluate(
        "() => getComputedStyle(document.querySelector('tr.incident td[data-label]'), "
        "'::before').content"
    )
    assert label.strip('"') in ("Severity", "Severidade")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert row_display(page) == "table-row"


def post_alert(server: PlantaoServer, alertname: str, severity: str) -> None:
    body = am_webhook(
        [am_alert(alertname, summary=f"{alertname}: orders failing", severity=severity)],
        group_key=f'{{}}:{{alertname="{alertname}"}}',
    )
    answer = httpx.post(server.alertmanager_url, json=body, timeout=10.0)
    assert answer.status_code == 202, answer.text


def test_a_new_incident_appears_by_itself_keeping_ticked_boxes(
    plantao_server: PlantaoServer, page: Any
) -> None:
    """The open list follows the live stream: an alert sent to the intake webhook shows up as
    a new row without a reload (a marker set in the page survives) and the box ticked before
    stays ticked; both are then acknowledged with the bulk form."""
    from playwright.sync_api import expect

    server = plantao_server
    existing = open_incident(server, severity="warning")
    log_in(page, server)
    page.wait_for_selector("#incident-list[data-live-state=open]")
    expect(page.locator("#live-alert")).to_be_visible()
    page.check(f"#pick-{existing}")
    page.evaluate("() => { window.plantaoNotReloaded = true; }")

    alertname = f"LiveList{uuid.uuid4().hex[:8]}"
    sent_at = time.monotonic()
    post_alert(server, alertname, "critical")
    fresh = page.locator("tr.incident", has_text=alertname)
    expect(fresh).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    print(f"new incident listed {time.monotonic() - sent_at:.2f} s after the webhook")

    assert page.evaluate("() => window.plantaoNotReloaded === true"), "the page was reloaded"
    assert page.is_checked(f"#pick-{existing}"), "the ticked box was lost"
    expect(fresh.locator(".sev")).to_contain_text("SEV1")
    expect(fresh.locator(".status")).to_have_text("Triggered")
    rows = page.locator("tr.incident")
    assert rows.first.get_attribute("data-ref") == fresh.get_attribute("data-ref"), (
        "the unacknowledged Sev1 is not at the top"
    )

    fresh.locator("input[name=ref]").check()
    page.click("button[name=action][value=acknowledge]")
    expect(page.locator(".bulk-summary")).to_have_text("2 acknowledged")
    expect(page.locator(f"tr.incident[data-ref='{existing}'] .status")).to_have_text("Acknowledged")
