"""The "Similar past incidents" card in a real Chromium on a real ``plantao serve``: a year of
scripted history, a new incident of one family, the card listing that family's incidents with
their links at 1366 and 390 px, no horizontal scroll, no serious axe-core finding, in English
and Portuguese."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from plantao.db import make_engine, make_sessionmaker, session_scope
from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in
from tests.e2e.ui_harness import (
    FAILING_IMPACTS,
    VIEWPORT_HEIGHT,
    axe_violations,
    describe,
    horizontal_overflow,
    install_axe,
)
from tests.factories import similar_history
from tests.factories.similar_history import FAMILIES

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it


@pytest.fixture(scope="module")
def history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlantaoServer, str]]:
    """``plantao serve`` on SQLite with the scripted history and a new disk-full incident."""
    started = start_plantao("sqlite", tmp_path_factory.mktemp("similar"))
    engine = make_engine(started.server.database_url, pool_size=1)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            now = datetime.now(UTC)
            similar_history.build(session, now)
            number = similar_history.probe(session, 0, now).human_id
        yield started.server, number
    finally:
        engine.dispose()
        stop_plantao(started)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_card_at_desktop_and_phone_widths(
    history_server: tuple[PlantaoServer, str], page: Any, tmp_path: Path, lang: str
) -> None:
    """Five linked past incidents with the fix and the runbook; both widths fit and axe-core
    finds nothing serious."""
    from playwright.sync_api import expect

    server, number = history_server
    log_in(page, server, path=f"/login?next=/incidents/{number}")
    url = f"{server.base_url}/incidents/{number}?lang={lang}"
    card = page.locator("#inc-similar")
    title = "Similar past incidents" if lang == "en" else "Incidentes parecidos no passado"
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
        page.goto(url, wait_until="load")
        where = f"{url} at {width}px"
        expect(card.locator("h2")).to_have_text(title)
        expect(card.locator("li.similar-item")).to_have_count(5)
        expect(card.locator("li.similar-item a.inc-ref")).to_have_count(5)
        expect(card).to_contain_text(FAMILIES[0].fix)
        expect(card.locator(f"a[href='/runbooks/{FAMILIES[0].runbook}']").first).to_be_visible()
        expect(card.locator("a[href^='/postmortems/']")).to_have_count(1)
        card.scroll_into_view_if_needed()
        overflow = horizontal_overflow(page)
        assert overflow is None, f"{where}: horizontal scroll: {overflow}"
        violations = axe_violations(page)
        if violations:
            print(f"axe-core on {where}:\n{describe(violations)}")
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        assert not failing, f"{where}: serious/critical axe violations:\n{describe(failing)}"
        card.screenshot(path=str(tmp_path / f"similar-{lang}-{width}.png"))
