"""The live incident list, fed by a real Prometheus Alertmanager: an alert posted to
Alertmanager's own API reaches Plantão through its webhook and appears in an open browser tab
without a reload (the issue's "live update shows an incident posted by a real Alertmanager")."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer, stop
from tests.e2e.test_alertmanager import Alertmanager, start_alertmanager
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in

__all__ = ["browser"]  # the fixture, imported so this module can use it

pytestmark = pytest.mark.e2e

LIVE_TIMEOUT_MS = 30_000  # Alertmanager's group_wait (1 s) and Plantão's engine, with slack


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def alertmanager(plantao_server: PlantaoServer, tmp_path: Path) -> Iterator[Alertmanager]:
    started = start_alertmanager(plantao_server.alertmanager_url, tmp_path / "alertmanager")
    try:
        yield started
    finally:
        stop(started.process)


def test_an_alert_from_alertmanager_appears_in_the_open_list_without_a_reload(
    plantao_server: PlantaoServer, alertmanager: Alertmanager, page: Any
) -> None:
    """A phone-sized tab on the incident list shows the incident of an alert fired through a
    real Alertmanager by itself, most urgent first, and its page reads the alert's words."""
    from playwright.sync_api import expect

    server = plantao_server
    log_in(page, server)
    page.wait_for_selector("#incident-list[data-live-state=open]")
    page.evaluate("() => { window.plantaoNotReloaded = true; }")

    alertname = f"CheckoutDown{uuid.uuid4().hex[:6]}"
    summary = f"{alertname}: every checkout backend is down"
    alertmanager.post_alerts(
        [
            {
                "labels": {"alertname": alertname, "severity": "critical", "service": "checkout"},
                "annotations": {
                    "summary": summary,
                    "description": "All 3 backends failed their health checks.",
                },
                "startsAt": datetime.now(UTC).isoformat(),
                "generatorURL": "http://prometheus.example.com/graph?g0.expr=up",
            }
        ]
    )
    sent = time.monotonic()
    row = page.locator("tr.incident", has_text=alertname)
    expect(row).to_have_count(1, timeout=LIVE_TIMEOUT_MS)
    print(f"listed {time.monotonic() - sent:.2f} s after the alert was posted to Alertmanager")
    assert page.evaluate("() => window.plantaoNotReloaded === true"), "the page was reloaded"
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), (
        "horizontal scroll at 390 px"
    )
    expect(row.locator(".sev")).to_contain_text("SEV1")
    ref = row.get_attribute("data-ref")
    assert ref, "the row names no incident"

    page.goto(f"{server.base_url}/incidents/{ref}")
    expect(page.get_by_text("All 3 backends failed their health checks.")).to_be_visible()
    generator = page.locator("a[href='http://prometheus.example.com/graph?g0.expr=up']")
    expect(generator).to_have_count(1)
