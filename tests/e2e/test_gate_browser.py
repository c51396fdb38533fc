"""A service's release gate page in a real Chromium on a real ``plantao serve``: at 1366 and
390 px (no horizontal scroll, no serious axe-core finding) while a must-fix action blocks it,
then an admin's override made through its form lets the service through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import ADMIN_ACTOR, browser, log_in, page, person
from tests.e2e.ui_harness import check_page
from tests.factories.gate import declare

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, imported so this module can use them


def test_gate_page_blocks_then_an_override_lets_through(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """The page names the blocking action; the override form makes the gate answer 200."""
    server = plantao_sqlite
    person(server, ADMIN_ACTOR, "admin")
    with server.client() as client:
        ref = declare(client, server.token, title="Checkout payments failing")
        pm = client.post(f"/api/v1/incidents/{ref}/postmortem").json()["id"]
        made = client.post(
            f"/api/v1/postmortems/{pm}/actions",
            json={
                "title": "Bound the payment client's retries",
                "owner": ADMIN_ACTOR,
                "due_date": "2099-12-20",
                "must_fix": True,
            },
        )
        assert made.status_code == 201, made.text
        assert client.get("/api/v1/release-gate", params={"service": "checkout"}).status_code == 409
    ac = made.json()["id"]
    url = f"{server.base_url}/services/checkout/release-gate"
    log_in(page, server, path="/login?next=/services/checkout/release-gate")
    check_page(page, url, expect_text=["Release gate", "Blocked", ac, ref], out_dir=tmp_path)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(url)
    page.fill("#gate-reason", "hotfix for the payment outage")
    page.fill("#gate-length", "2h")
    page.click("form[action$='/overrides'] button[type=submit]")
    page.wait_for_url(lambda u: "done=created" in u)
    check_page(
        page,
        page.url,
        expect_text=["Override created.", "hotfix for the payment outage", "Allowed"],
        out_dir=tmp_path,
    )
    with server.client() as client:
        answer = client.get("/api/v1/release-gate", params={"service": "checkout"})
    assert answer.status_code == 200 and answer.json()["override"]["by"] == ADMIN_ACTOR
