"""The on-call pages in a real Chromium against a real ``plantao serve``: /oncall,
/schedules/{slug} and /silences at 1366 and 390 px (no horizontal scroll, axe-core clean, the
people and times visible), and an override and a silence created through their forms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import AM_KEY, PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

ZONE = "America/Sao_Paulo"
# One person per layer, so who is on call does not depend on the day the test runs: ana all
# week (the "business" layer), bruno on top on weekends.
CONFIG = f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana, bruno]}}]
users:
  - {{handle: ana, name: Ana, time_zone: {ZONE}}}
  - {{handle: bruno, name: Bruno}}
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: payments}}
  - {{slug: platform, name: Platform, team: sre, escalation_policy: payments}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {AM_KEY}}}
schedules:
  - slug: primary
    name: Primary rota
    time_zone: {ZONE}
    layers:
      - name: business
        rotation: {{type: weekly, handoff: "09:00", start: 2026-01-05, participants: [ana]}}
      - name: weekend
        rotation: {{type: daily, handoff: "00:00", start: 2026-01-03, participants: [bruno]}}
        restrictions: [{{weekdays: [sat, sun], start: "00:00", end: "00:00"}}]
escalation_policies:
  - slug: payments
    name: Payments escalation
    steps:
      - {{targets: [{{schedule: primary}}]}}
      - {{delay: 10m, targets: [{{user: bruno}}]}}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """One Plantão on SQLite with a schedule and a policy, shared by this module's tests."""
    started = start_plantao("sqlite", tmp_path_factory.mktemp("oncall"), config_text=CONFIG)
    try:
        yield started.server
    finally:
        stop_plantao(started)


_PASSWORDS: dict[str, str] = {}


def sign_in(page: Any, server: PlantaoServer, handle: str, role: str, path: str) -> None:
    """Log ``handle`` (created once, with ``role`` everywhere, in São Paulo time) in on the
    login page and land on ``path``."""
    if handle not in _PASSWORDS:
        options = ["--name", handle.title(), "--role", role, "--time-zone", ZONE, "--password"]
        out = server.cli("users", "create", handle, *options)
        _PASSWORDS[handle] = out.strip().splitlines()[-1].strip()
    page.goto(f"{server.base_url}/login?next={path}")
    page.fill("#handle", handle)
    page.fill("#password", _PASSWORDS[handle])
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server.base_url}{path}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), English browser locale."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def on_call_now(server: PlantaoServer) -> str:
    """Who the API says holds the primary schedule now (the page must agree)."""
    with server.client() as client:
        [row] = client.get("/api/v1/schedules").json()
    assert len(row["on_call_now"]) == 1
    return str(row["on_call_now"][0])


def local_input(at: datetime) -> str:
    return at.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def test_oncall_pages_fit_phone_and_desktop(
    server: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """/oncall, /schedules/primary, /silences (and /schedules, /policies) at 1366 and 390 px: no
    horizontal scroll, no serious axe finding, the person on call, the team, the timeline rows
    and the forms shown."""
    who = on_call_now(server)
    sign_in(page, server, "maria", "manager", "/oncall")
    check_page(
        page,
        f"{server.base_url}/oncall",
        expect_text=["On call", "SRE", "Payments escalation", "Primary rota", who],
        out_dir=tmp_path,
    )
    shots = check_page(
        page,
        f"{server.base_url}/schedules/primary",
        expect_text=["Primary rota", "Layer business", "Layer weekend", "Final", who, ZONE],
        out_dir=tmp_path,
    )
    assert len(shots) == 2
    assert page.locator("svg.tl-svg svg.tl-block").count() >= 3
    check_page(
        page,
        f"{server.base_url}/silences",
        expect_text=["Silences and maintenance windows", "Silence alerts", "Label matchers"],
        out_dir=tmp_path,
    )
    check_page(
        page,
        f"{server.base_url}/schedules",
        expect_text=["Schedules", "Primary rota", "Final", who],
        out_dir=tmp_path,
    )
    check_page(
        page,
        f"{server.base_url}/policies",
        expect_text=["Payments escalation", "Level 2", "after 10 min", "Checkout"],
        out_dir=tmp_path,
    )


def test_manager_creates_an_override_and_a_silence_on_a_phone(
    server: PlantaoServer, page: Any
) -> None:
    """At 390 px a manager puts bruno on call through the override form (times typed in São
    Paulo time), then silences an alert for an hour and ends the silence early."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 900})
    sign_in(page, server, "marta", "manager", "/schedules/primary")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    form = page.locator("form[action='/schedules/primary/overrides']")
    form.locator("select[name=user]").select_option("bruno")
    form.locator("select[name=kind]").select_option("add")
    form.locator("input[name=start]").fill(local_input(start))
    form.locator("input[name=end]").fill(local_input(start + timedelta(hours=3)))
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.base_url}/schedules/primary")
    row = page.locator("table.oc-overrides tbody tr", has_text="bruno")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("On call in addition")
    expect(row).to_contain_text("marta")
    expect(row.locator("time").first).to_have_attribute(
        "datetime", start.isoformat().replace("+00:00", "Z")
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with server.client() as client:
        [stored] = client.get("/api/v1/schedules/primary/overrides").json()
    assert (stored["user"], stored["kind"], stored["created_by"]) == ("bruno", "add", "marta")

    page.goto(f"{server.base_url}/silences")
    form = page.locator("form[action='/silences']")
    form.locator("textarea[name=matchers]").fill('alertname="DiskFull"\ninstance=~"db-.*"')
    form.locator("input[name=length]").fill("1h")
    form.locator("textarea[name=comment]").fill("swapping the disk of db-3")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.base_url}/silences")
    silence = page.locator("#silences tbody tr", has_text="DiskFull")
    expect(silence).to_have_count(1)
    expect(silence).to_contain_text("swapping the disk of db-3")
    expect(silence).to_contain_text("marta")
    expect(silence.locator(".status.on")).to_have_text("active")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    silence.locator("button", has_text="End now").click()
    page.wait_for_url(f"{server.base_url}/silences")
    expect(page.locator("#silences")).to_have_count(0)
    expect(page.get_by_text("No active or upcoming silences.")).to_be_visible()


def test_responder_takes_a_shift_through_the_form(server: PlantaoServer, page: Any) -> None:
    """A responder's override form offers only themselves; their override appears at once, and
    a bad period is shown as an error with the typed times kept."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, server, "rafa", "responder", "/schedules/primary")
    form = page.locator("form[action='/schedules/primary/overrides']")
    expect(form.locator("select[name=user] option")).to_have_count(1)
    expect(page.get_by_text("As a responder you can put yourself on call")).to_be_visible()
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    form.locator("input[name=start]").fill(local_input(start))
    form.locator("input[name=end]").fill(local_input(start - timedelta(hours=1)))
    form.locator("button[type=submit]").click()
    expect(page.locator("#oc-override-error")).to_have_text("The end must come after the start.")
    expect(form.locator("input[name=start]")).to_have_value(local_input(start))
    form.locator("input[name=end]").fill(local_input(start + timedelta(hours=2)))
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{server.base_url}/schedules/primary")
    mine = page.locator("table.oc-overrides tbody tr", has_text="rafa")
    expect(mine).to_have_count(1)
    expect(mine.locator("button", has_text="Delete")).to_have_count(1)
