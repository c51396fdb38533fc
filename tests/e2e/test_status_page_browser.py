"""The status page end to end in a real Chromium on a real ``plantao serve`` (engine inside): a
signed-in Comms Lead declares a Sev1, publishes it from the incident page's "Status page" panel
in public words, posts two updates and resolves it; a second, logged-out browser context on
``/status`` sees each step (the incident, its status, the component's status, restored after
the resolution) once the engine has re-rendered the snapshot; the public page passes the
390 px and axe-core checks in English and Portuguese. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import BACKENDS, PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in
from tests.e2e.ui_harness import check_page, install_axe

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

#: The engine renders a page again within moments of a change; a reload finds it.
SNAPSHOT_WAIT_S = 30.0
CONFIG = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana]}]
users: [{handle: ana, name: Ana Lima}]
services:
  - {slug: checkout, name: Checkout, team: sre}
status_pages:
  - slug: public
    name: Acme Status
    components:
      - {slug: payments, name: Payments API, services: [checkout]}
"""
TITLE = "Payments are failing for some customers"
STEPS = [
    ("investigating", "We are looking into failed payments.", "Partial outage"),
    ("identified", "A bad deploy was found; rolling it back.", "Major outage"),
    ("monitoring", "The rollback is done; we are watching.", "Degraded performance"),
    ("resolved", "Payments work normally again.", "Operational"),
]


# SQLite only: the browser flow is the same on both databases, the publishing flow is tested on
# both (tests/integration/test_status_publishing.py) and the database-down e2e runs on PostgreSQL.
@pytest.fixture(params=[BACKENDS[0]])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PlantaoServer]:
    """``plantao serve`` with a public page whose Payments API component checkout feeds."""
    started = start_plantao(str(request.param), tmp_path / "plantao", CONFIG)
    try:
        yield started.server
    finally:
        stop_plantao(started)


def _context(browser: Any, locale: str = "en-US") -> Any:
    context = browser.new_context(locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    return context


def _declare(server: PlantaoServer) -> str:
    with server.client() as client:
        res = client.post(
            "/api/v1/incidents",
            json={"title": "checkout 5xx (internal)", "service": "checkout", "severity": "sev1"},
        )
        assert res.status_code == 201, res.text
        return str(res.json()["human_id"])


def _public_shows(public: Any, url: str, *texts: str, component: str) -> None:
    """Reload ``/status`` until it shows ``texts`` and the component's status (the engine
    re-renders the snapshot on its own time)."""
    deadline = time.monotonic() + SNAPSHOT_WAIT_S
    seen = ""
    while time.monotonic() < deadline:
        public.goto(url, wait_until="load")
        body = public.locator("main").inner_text()
        badge = public.locator(".sp-component", has_text="Payments API").locator(".sp-badge")
        seen = f"{badge.inner_text()} | {body[:400]}"
        if all(t in body for t in texts) and badge.inner_text() == component:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} never showed {texts} and {component!r}; last: {seen}")


def test_publish_update_resolve_seen_by_a_logged_out_visitor(
    server: PlantaoServer, browser: Any, tmp_path: Path
) -> None:
    """Each step made in the incident page's panel reaches the public page: the incident and
    its latest status and text, the component's status, and Operational after resolving."""
    from playwright.sync_api import expect

    ref = _declare(server)
    staff_context, public_context = _context(browser), _context(browser)
    try:
        staff, public = staff_context.new_page(), public_context.new_page()
        # /status may be kept 15 s by browsers (Cache-Control max-age=15, by design for an
        # outage's crowd); this visitor reloads from the server to see when the page changed.
        public_context.new_cdp_session(public).send(
            "Network.setCacheDisabled", {"cacheDisabled": True}
        )
        status_url = f"{server.base_url}/status"
        _public_shows(public, status_url, "All systems operational", component="Operational")
        log_in(staff, server)
        staff.goto(f"{server.base_url}/incidents/{ref}")
        panel = staff.locator("#status-page")
        expect(panel).to_be_visible()
        publish = panel.locator("form[action$='/status-page/publish']")
        if not publish.is_visible():
            panel.locator("details.spp-publish > summary").first.click()
        publish.locator("input[name=title]").fill(TITLE)
        publish.locator("textarea[name=body]").fill(STEPS[0][1])
        publish.locator("select[name=components]").select_option("payments=partial_outage")
        publish.locator("button[type=submit]").click()
        staff.wait_for_load_state("load")
        _public_shows(public, status_url, TITLE, STEPS[0][1], component=STEPS[0][2])
        expect(public.locator("main")).to_contain_text("Investigating")

        for status, text, component in STEPS[1:]:
            staff.goto(f"{server.base_url}/incidents/{ref}")
            form = staff.locator("#status-page form[action*='/updates']")
            if not form.is_visible():
                staff.locator("#status-page details.spp-update > summary").first.click()
            form.locator("select[name=status]").select_option(status)
            form.locator("textarea[name=body]").fill(text)
            if status != "resolved":
                target = {"identified": "major_outage", "monitoring": "degraded_performance"}
                form.locator("select[name=components]").select_option(f"payments={target[status]}")
            form.locator("button[type=submit]").click()
            staff.wait_for_load_state("load")
            if status == "resolved":
                # Resolved incidents leave the open list for the recent history.
                _public_shows(public, status_url, TITLE, text, component=component)
                expect(public.locator("#sp-open")).to_have_count(0)
                expect(public.locator("main")).to_contain_text("All systems operational")
            else:
                _public_shows(public, status_url, text, component=component)
                expect(public.locator("main")).to_contain_text(status.capitalize())
        public_context.clear_cookies()
        shots = tmp_path / "shots"
        check_page(public, status_url, widths=(390,), expect_text=[TITLE], out_dir=shots)
        check_page(
            public,
            f"{status_url}?lang=pt-BR",
            widths=(390,),
            expect_text=["Resolvido"],
            out_dir=shots,
        )
    finally:
        staff_context.close()
        public_context.close()
