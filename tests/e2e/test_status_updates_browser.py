"""A status update posted through the incident page's form in a real Chromium on a real
``plantao serve``: the card shows the next due time and the form at 1366 and 390 px (no
horizontal scroll, no serious axe-core finding), and the posted update appears with its next
step while the API shows the next update due one Sev1 interval later; one posted elsewhere
appears on the open page without a reload."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import browser, log_in, open_incident, page
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, imported so this module can use them


def test_a_status_update_posted_through_the_form(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Post "identified" with impact, mitigation and a next step owned by ana: the page comes
    back with the update in the history, and the incident's next update is due 15 min later."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    ref = open_incident(server)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    url = f"{server.base_url}/incidents/{ref}"
    check_page(
        page,
        url,
        expect_text=["Status updates", "Post a status update", "Next steps"],
        out_dir=tmp_path,
        ready="[data-live-state=open]",
    )
    form = page.locator("#upd-form")
    form.get_by_label("Identified").check()
    expect(page.locator("#upd-root-cause")).to_be_hidden()  # resolution fields: Resolved only
    page.fill("#upd-impact", "10% of checkouts fail with HTTP 502")
    page.fill("#upd-mitigation", "traffic moved to the other region")
    page.fill("#upd-step-action-1", "roll back v1.3")
    page.fill("#upd-step-owner-1", "ana")
    page.click("#upd-submit")
    page.wait_for_url(url)
    history = page.locator("#inc-updates .upd-item")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Initial")
    expect(history.first).to_contain_text("10% of checkouts fail with HTTP 502")
    expect(history.first).to_contain_text("roll back v1.3")
    with server.client() as client:
        incident = client.get(f"/api/v1/incidents/{ref}").json()
        [update] = client.get(f"/api/v1/incidents/{ref}/status-updates").json()
    posted = datetime.fromisoformat(update["posted_at"])
    assert update["status"] == "identified" and update["kind"] == "initial"
    assert update["next_steps"][0]["owner"] == "ana"
    due = datetime.fromisoformat(incident["next_update_due_at"])
    assert due - posted == timedelta(minutes=15) and incident["update_overdue"] is False
    page.locator("#inc-updates .upd-post > summary").click()  # folded once updates exist
    form.get_by_label("Resolved").check()
    expect(page.locator("#upd-root-cause")).to_be_visible()


def test_an_update_posted_elsewhere_appears_without_a_reload(
    plantao_sqlite: PlantaoServer, page: Any
) -> None:
    """With the page open, an update posted through the API shows up in the card's history
    (the page was not reloaded: a marker set on window survives)."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    ref = open_incident(server)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    page.goto(f"{server.base_url}/incidents/{ref}")
    expect(page.locator("[data-live-state=open]")).to_have_count(1, timeout=20_000)
    page.evaluate("window.__plantaoMarker = 'still here'")
    with server.client() as client:
        answer = client.post(
            f"/api/v1/incidents/{ref}/status-updates",
            json={"status": "monitoring", "impact": "error rate back under 1%"},
        )
        assert answer.status_code == 201, answer.text
    history = page.locator("#inc-updates .upd-item")
    expect(history).to_have_count(1, timeout=20_000)
    expect(history.first).to_contain_text("error rate back under 1%")
    assert page.evaluate("window.__plantaoMarker") == "still here"
