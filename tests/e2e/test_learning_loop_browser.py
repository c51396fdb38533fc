"""The whole learning loop in a real Chromium on a real ``plantao serve``: a Sev1 incident is
resolved from its page, the engine starts its postmortem from the record, the author opens the
generated draft, edits and publishes it, adds a must-fix corrective action, and the release gate
— asked by a gate-only token, as a deploy pipeline asks — blocks the service until the action
is marked done in the browser, then lets it through."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import ADMIN_ACTOR, browser, log_in, open_incident, page, person
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, imported so this module can use them


def _gate(server: PlantaoServer, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.base_url}/api/v1/release-gate",
        params={"service": "platform"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10.0,
    )


def _started_postmortem(server: PlantaoServer, ref: str) -> dict[str, Any]:
    """The postmortem the engine starts once the incident is resolved (it owes one: Sev1)."""
    deadline = time.monotonic() + 30
    with server.client() as client:
        while time.monotonic() < deadline:
            found = client.get(f"/api/v1/incidents/{ref}/postmortem")
            if found.status_code == 200:
                body: dict[str, Any] = found.json()
                return body
            time.sleep(0.2)
    raise AssertionError(f"the engine started no postmortem for {ref}")


def test_resolve_write_publish_act_and_gate(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Resolve → generated draft → edit → publish → must-fix action blocks the gate (409 naming
    it) → marked done in the browser → the gate allows (200)."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    person(server, ADMIN_ACTOR, "admin")
    gate_token = server.cli(
        "tokens", "create", "--name", "deploy-gate", "--role", "viewer", "--scopes", "gate"
    )
    gate_token = gate_token.strip().splitlines()[-1].strip()
    ref = open_incident(server, severity="critical")
    blocked_by_incident = _gate(server, gate_token)
    assert blocked_by_incident.status_code == 409, blocked_by_incident.text
    assert blocked_by_incident.json()["blocking"][0]["kind"] == "incident"

    # Resolve it from its page; the engine starts the postmortem it owes.
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server.base_url}/incidents/{ref}")
    page.click("section.actions button.action.resolve")
    expect(page.locator("ol.timeline li.incident-resolved")).to_have_count(1)
    started = _started_postmortem(server, ref)
    assert started["status"] == "draft" and started["due_at"], started
    assert _gate(server, gate_token).status_code == 200  # resolved: nothing blocks any more

    # Open the generated draft from the incident's card.
    page.goto(f"{server.base_url}/incidents/{ref}")
    page.locator("#inc-postmortem a[href^='/postmortems/']").click()
    page.wait_for_url(lambda url: f"/postmortems/{started['id']}" in url)
    pm_url = f"{server.base_url}/postmortems/{started['id']}"
    check_page(page, pm_url, expect_text=[ref, "Draft"], out_dir=tmp_path)
    page.goto(f"{pm_url}/edit")
    draft = page.locator("#pm-markdown").input_value()
    assert ref in draft and "## Timeline" in draft, draft[:400]

    # Edit: the author writes the summary over the placeholder and saves a version.
    summary = "Checkout answered 5xx for 14 minutes after a connection pool was exhausted."
    page.fill("#pm-markdown", f"{draft}\n\n## Summary written by the author\n\n{summary}\n")
    page.click("button[name=intent][value=save]")
    page.wait_for_url(lambda url: "saved=2" in url)
    expect(page.locator("article.pm-text")).to_contain_text(summary)

    # Publish it (no reviewers were asked: a draft publishes directly).
    page.click("#pm-publish-form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Published")
    with server.client() as client:
        assert client.get(f"/api/v1/postmortems/{started['id']}").json()["status"] == "published"

    # Add a must-fix corrective action through the panel.
    page.goto(pm_url)
    page.locator(".act-add > summary").click()
    page.fill("#act-new-title", "Size the checkout connection pool from measured peak load")
    page.fill("#act-new-due", "2099-12-20")
    page.check("#act-add-form input[name=must_fix]")
    page.click("#act-add-form button[type=submit]")
    page.wait_for_url(lambda url: f"/postmortems/{started['id']}" in url)
    with server.client() as client:
        actions = client.get(f"/api/v1/postmortems/{started['id']}/actions").json()
    assert [(a["must_fix"], a["status"]) for a in actions] == [(True, "open")]
    ac = actions[0]["id"]

    # The gate blocks, naming the action, for the pipeline and on the service's page.
    blocked = _gate(server, gate_token)
    assert blocked.status_code == 409, blocked.text
    reason = blocked.json()["blocking"][0]
    assert (reason["id"], reason["incident"]) == (ac, ref)
    assert reason["owner"] == ADMIN_ACTOR and reason["due"] == "2099-12-20"
    assert httpx.get(
        f"{server.base_url}/api/v1/incidents/{ref}",
        headers={"Authorization": f"Bearer {gate_token}"},
        timeout=10.0,
    ).status_code in (401, 403)
    gate_page = f"{server.base_url}/services/platform/release-gate"
    check_page(page, gate_page, expect_text=["Blocked", ac], out_dir=tmp_path)

    # Mark it done in the browser; the gate lets the service through.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server.base_url}/actions/{ac}")
    page.select_option(f"#st-{ac}", "done")
    page.click(".act-status-form button[type=submit]")
    page.wait_for_url(lambda url: "saved=1" in url)
    allowed = _gate(server, gate_token)
    assert allowed.status_code == 200 and allowed.json()["allowed"] is True, allowed.text
    page.goto(gate_page)
    expect(page.locator("main")).to_contain_text("Allowed")
    with server.client() as client:
        decisions = client.get(
            "/api/v1/release-gate/decisions", params={"service": "platform"}
        ).json()
    answers = [d["allowed"] for d in decisions]
    assert answers[:2] == [True, False]  # newest first: the pipeline's last two questions
