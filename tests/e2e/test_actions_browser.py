"""Corrective actions in a real Chromium on a real ``plantao serve``: the postmortem's actions
panel, the ``/actions`` list and an action's page at 1366 and 390 px (no horizontal scroll, no
serious axe-core finding); an action added through the panel's form and marked done through its
status form, as the API then shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import ADMIN_ACTOR, browser, log_in, open_incident, page, person
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, imported so this module can use them


def test_actions_are_added_listed_and_finished_in_the_browser(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """The panel, /actions and the action's page pass the layout checks with one must-fix
    action; the panel's form adds a second one; its status form marks it done."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    person(server, ADMIN_ACTOR, "admin")
    ref = open_incident(server)
    with server.client() as client:
        started = client.post(f"/api/v1/incidents/{ref}/postmortem")
        assert started.status_code in (200, 201), started.text
        pm = started.json()["id"]
        first = client.post(
            f"/api/v1/postmortems/{pm}/actions",
            json={
                "title": "Bound the payment client's retries so a slow provider cannot pile up",
                "owner": ADMIN_ACTOR,
                "due_date": "2099-12-20",
                "must_fix": True,
                "ticket_url": "https://jira.example.com/browse/PAY-88",
            },
        )
        assert first.status_code == 201, first.text
    ac = first.json()["id"]
    log_in(page, server, path=f"/login?next=/postmortems/{pm}/actions")
    check_page(
        page,
        f"{server.base_url}/postmortems/{pm}/actions",
        expect_text=["Corrective actions", ac, "must fix", "Suggested follow-ups"],
        out_dir=tmp_path,
    )
    check_page(page, f"{server.base_url}/actions", expect_text=[ac, ref], out_dir=tmp_path)
    check_page(
        page,
        f"{server.base_url}/actions/{ac}",
        expect_text=[ac, "Edit the action"],
        out_dir=tmp_path,
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server.base_url}/postmortems/{pm}/actions")
    page.locator(".act-add > summary").click()
    page.fill("#act-new-title", "Alarm on p99 latency of checkout")
    page.fill("#act-new-due", "2099-12-24")
    page.select_option("#act-new-kind", "prevention")
    page.click("#act-add-form button[type=submit]")
    page.wait_for_url(lambda url: f"/postmortems/{pm}" in url)
    with server.client() as client:
        listed = client.get(f"/api/v1/postmortems/{pm}/actions").json()
    added = next(a for a in listed if a["title"] == "Alarm on p99 latency of checkout")
    assert (added["kind"], added["owner"], added["due_date"]) == (
        "prevention",
        ADMIN_ACTOR,
        "2099-12-24",
    )
    page.goto(f"{server.base_url}/actions/{added['id']}")
    page.select_option(f"#st-{added['id']}", "done")
    page.click(".act-status-form button[type=submit]")
    page.wait_for_url(lambda url: "saved=1" in url)
    expect(page.locator(".act-status").first).to_contain_text("Done")
    with server.client() as client:
        assert client.get(f"/api/v1/actions/{added['id']}").json()["status"] == "done"
