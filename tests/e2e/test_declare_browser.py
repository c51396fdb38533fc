"""Declaring an incident and giving out its roles in a real Chromium on a real ``plantao serve``
(engine inside): the form at phone width, the new incident paging the service's on-call
through its policy, and the Roles card assigning the IC and refusing a second hat; axe-core
and the 390 px check on both pages."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in
from tests.e2e.ui_harness import check_page, install_axe

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

LIVE_TIMEOUT_MS = 20_000
CONFIG = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana, bruno]}]
users:
  - {handle: ana, name: Ana Lima, time_zone: America/Sao_Paulo}
  - {handle: bruno, name: Bruno Souza}
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
    """``plantao serve`` on SQLite; checkout's policy pages ana at once."""
    started = start_plantao("sqlite", tmp_path_factory.mktemp("declare"), CONFIG)
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


def paged(server: PlantaoServer, ref: str) -> list[str]:
    """Who the incident's timeline says was paged, once someone was (polled: the engine runs
    in the server, on its own time)."""
    deadline = time.monotonic() + LIVE_TIMEOUT_MS / 1000
    with server.client() as client:
        while time.monotonic() < deadline:
            timeline = client.get(f"/api/v1/incidents/{ref}").json()["timeline"]
            who = [u for e in timeline if e["kind"] == "oncall.paged" for u in e["data"]["users"]]
            if who:
                return who
            time.sleep(0.1)
    raise AssertionError(f"nobody was paged for {ref}")


def test_declare_then_assign_the_ic_in_the_browser(
    server: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """From the list's "Declare incident" button, the form (checked at 1366 and 390 px) opens
    an incident that pages ana through checkout's policy; the Roles card makes ana IC, and a
    second hat for ana is refused in place with what was typed kept."""
    from playwright.sync_api import expect

    log_in(page, server, path="/login?next=/")
    page.click("#declare-incident")
    expect(page).to_have_url(f"{server.base_url}/incidents/new")
    check_page(
        page,
        f"{server.base_url}/incidents/new",
        expect_text=["Declare an incident", "Declare and page"],
        out_dir=tmp_path,
    )
    title = f"Customers cannot pay {uuid.uuid4().hex[:6]}"
    page.set_viewport_size({"width": 390, "height": 844})
    page.fill("#cmd-title", title)
    page.select_option("#cmd-service", "checkout")
    page.select_option("#cmd-severity", "sev2")
    page.select_option("#cmd-category", "customer_report")
    page.fill("#cmd-description", "Three tickets in ten minutes about card payments.")
    page.click("#cmd-declare-submit")
    expect(page.locator("#inc-title")).to_contain_text(title)
    ref = page.url.rsplit("/", 1)[-1]
    assert ref.startswith("INC-"), page.url
    expect(page.locator("#inc-roles .cmd-declared")).to_contain_text("A customer report")
    # the engine inside serve reacts to the new incident: checkout's policy pages ana
    assert paged(server, ref) == ["ana"]
    page.reload()
    expect(page.locator("#inc-oncall .inc-person").first).to_contain_text("Ana Lima (ana)")

    page.select_option("#cmd-assign-role", "incident_commander")
    page.select_option("#cmd-assign-holder", "ana")
    page.click(".cmd-assign-submit")
    ic = page.locator("#inc-roles .cmd-role[data-role=incident_commander]")
    expect(ic).to_contain_text("Ana Lima")

    page.select_option("#cmd-assign-role", "scribe")
    page.select_option("#cmd-assign-holder", "ana")
    page.click("#cmd-assign-form .cmd-handoff > summary")
    page.fill("#cmd-handoff-context", "kept after the refusal")
    page.click(".cmd-assign-submit")
    expect(page.locator("#inc-banner")).to_contain_text(
        "ana already wears the Incident Commander hat"
    )
    assert page.input_value("#cmd-handoff-context") == "kept after the refusal"
    expect(page.locator("#inc-roles .cmd-role[data-role=scribe]")).to_contain_text("nobody")

    check_page(
        page,
        f"{server.base_url}/incidents/{ref}",
        expect_text=["Roles", "Incident Commander", "Assign or hand over"],
        out_dir=tmp_path,
        ready="[data-live-state=open]",
    )
    with server.client() as client:
        detail = client.get(f"/api/v1/incidents/{ref}").json()
    assert [(r["role"], r["user"]) for r in detail["roles"]] == [("incident_commander", "ana")]
    assert detail["category"] == "customer_report" and detail["number"] == ref
