"""A postmortem written in a real Chromium on a real ``plantao serve``: started from the incident
page's card, edited with Preview (the rendered text and the blameless warning beside the form,
nothing saved) and Save (version 2), and printed from its printable page, whose button the
shipped script reveals; every page at 1366 and 390 px without horizontal scroll or a serious
axe-core finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import browser, log_in, open_incident, page
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, imported so this module can use them


def test_write_preview_save_and_print_a_postmortem(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Start from the card, preview a text with blame phrasing (warned, not saved), save it as
    version 2, and open the printable page with its print button shown."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    ref = open_incident(server)
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    page.goto(f"{server.base_url}/incidents/{ref}")
    page.locator("#inc-postmortem button[type=submit]").click()
    page.wait_for_url(lambda url: "/postmortems/" in url)
    pm_url = page.url.split("?")[0]
    pm_id = pm_url.rsplit("/", 1)[1]
    check_page(page, pm_url, expect_text=["Draft", "Blameless check", "Review"], out_dir=tmp_path)
    page.goto(f"{pm_url}/edit")
    check_page(page, f"{pm_url}/edit", expect_text=["Preview", "Save"], out_dir=tmp_path)
    page.fill("#pm-markdown", "# What happened\n\nIt was human error.\n")
    page.click("button[name=intent][value=preview]")
    expect(page.locator("#pm-preview h1")).to_have_text("What happened")
    expect(page.locator("#pm-lint")).to_contain_text("line 3")
    expect(page.locator("#pm-markdown")).to_have_value("# What happened\n\nIt was human error.\n")
    with server.client() as client:
        assert client.get(f"/api/v1/postmortems/{pm_id}").json()["version"] == 1
    page.click("button[name=intent][value=save]")
    page.wait_for_url(lambda url: "saved=2" in url)
    expect(page.locator("#pm-banner")).to_contain_text("version 2")
    expect(page.locator("article.pm-text h1")).to_have_text("What happened")
    check_page(page, f"{pm_url}/print", expect_text=["What happened"], out_dir=tmp_path)
    expect(page.locator("[data-print]")).to_be_visible()
    expect(page.locator("nav")).to_have_count(0)
