"""Private incidents in a real Chromium: an admin makes an incident private from its page (the
panel passes axe-core and fits 390 px in both languages), and a viewer in another browser no
longer finds it: not on the list, and its page is the "not found" page of a missing one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in, open_incident
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), English browser locale."""
    made = browser.new_context(locale="en-US")
    made.set_default_timeout(TIMEOUT_MS)
    try:
        yield made
    finally:
        made.close()


def test_an_admin_hides_an_incident_a_viewer_then_cannot_find(
    plantao_sqlite: PlantaoServer, context: Any, browser: Any, tmp_path: Path
) -> None:
    """Make private → badge and "Make public" on the page (accessible, phone-sized, en and
    pt-BR); a viewer's list leaves it out and its URL answers 404 like a missing incident."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    ref = open_incident(server)
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server.base_url}/incidents/{ref}")
    page.click(f"form[action='/incidents/{ref}/visibility'] button[type=submit]")
    page.wait_for_url(f"{server.base_url}/incidents/{ref}")
    expect(page.locator("#inc-visibility .vis-private")).to_have_text("Private")
    expect(page.locator("#inc-visibility .vis-toggle")).to_have_text("Make public")
    for lang, heading in (("en", "Who sees this incident"), ("pt-BR", "Quem vê este incidente")):
        url = f"{server.base_url}/incidents/{ref}?lang={lang}"
        check_page(page, url, expect_text=(ref, heading), out_dir=tmp_path)

    other = browser.new_context(locale="en-US")
    other.set_default_timeout(TIMEOUT_MS)
    try:
        viewer = other.new_page()
        log_in(viewer, server, "private-viewer")
        viewer.goto(f"{server.base_url}/?status=")
        expect(viewer.locator("#incident-list")).to_be_visible()
        assert ref not in viewer.content()
        hidden = viewer.goto(f"{server.base_url}/incidents/{ref}")
        missing = viewer.goto(f"{server.base_url}/incidents/INC-19990101-1")
        assert hidden is not None and missing is not None
        assert hidden.status == missing.status == 404
    finally:
        other.close()
