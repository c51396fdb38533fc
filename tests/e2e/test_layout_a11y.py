"""The shared layout in a real Chromium: axe-core clean, no horizontal scroll at 1366 and 390 px,
in English and Portuguese; the nav collapses on phones; the skip link and the nav work by
keyboard; times read as relative in the page's language with the absolute time as the title."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in, open_incident
from tests.e2e.ui_harness import check_page

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it


@dataclass(frozen=True)
class Words:
    """What each page must visibly say in one language."""

    login: tuple[str, ...]
    incidents: tuple[str, ...]
    incident: tuple[str, ...]
    runbooks: tuple[str, ...]
    runbook: tuple[str, ...]
    ago: re.Pattern[str]
    ahead: re.Pattern[str]


LANGS = {
    "en": Words(
        login=("Log in", "User name", "Password"),
        incidents=("Incidents", "Severity"),
        incident=("Timeline", "Alerts"),
        runbooks=("Runbooks", "Owner"),
        runbook=("All runbooks", "Owner"),
        ago=re.compile(r"^(just now|\d+ (min|h|days?)( \d+ min)? ago)$"),
        ahead=re.compile(r"^(just now|in \d+ (min|h|days?)( \d+ min)?)$"),
    ),
    "pt-BR": Words(
        login=("Entrar", "Usuário", "Senha"),
        incidents=("Incidentes", "Severidade"),
        incident=("Linha do tempo", "Alertas"),
        runbooks=("Runbooks", "Dono"),
        runbook=("Todos os runbooks", "Dono"),
        ago=re.compile(r"^(agora|há \d+ (min|h|dias?)( \d+ min)?)$"),
        ahead=re.compile(r"^(agora|em \d+ (min|h|dias?)( \d+ min)?)$"),
    ),
}


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies), English browser locale."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def first_runbook_url(page: Any, server: PlantaoServer) -> str:
    page.goto(f"{server.base_url}/runbooks")
    href = page.locator("table.runbooks a").first.get_attribute("href")
    assert href and href.startswith("/runbooks/")
    return f"{server.base_url}{href.split('?')[0]}"


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_login_page_is_accessible(
    plantao_sqlite: PlantaoServer, page: Any, lang: str, tmp_path: Path
) -> None:
    """The login page passes axe-core and fits 1366 and 390 px, in both languages."""
    url = f"{plantao_sqlite.base_url}/login?lang={lang}"
    shots = check_page(page, url, expect_text=LANGS[lang].login, out_dir=tmp_path)
    assert len(shots) == 2
    assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_incident_pages_are_accessible(
    plantao_sqlite: PlantaoServer, page: Any, lang: str, tmp_path: Path
) -> None:
    """The incident list and an incident page pass axe-core and fit 1366 and 390 px, in both
    languages, with their content visible."""
    server = plantao_sqlite
    ref = open_incident(server)
    log_in(page, server)
    words = LANGS[lang]
    pages = [
        (f"{server.base_url}/?lang={lang}", (*words.incidents, ref)),
        (f"{server.base_url}/incidents/{ref}?lang={lang}", (*words.incident, ref)),
    ]
    for url, expected in pages:
        shots = check_page(page, url, expect_text=expected, out_dir=tmp_path)
        assert [s.exists() for s in shots] == [True, True]
        assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_runbook_pages_are_accessible(
    plantao_sqlite: PlantaoServer, page: Any, lang: str, tmp_path: Path
) -> None:
    """The runbook library and a runbook pass axe-core and fit 1366 and 390 px, in both
    languages, with their content visible."""
    server = plantao_sqlite
    log_in(page, server)
    words = LANGS[lang]
    runbook = first_runbook_url(page, server)
    check_page(
        page,
        f"{server.base_url}/runbooks?lang={lang}",
        expect_text=words.runbooks,
        out_dir=tmp_path,
    )
    assert page.locator("table.runbooks tbody tr").count() >= 5
    check_page(page, f"{runbook}?lang={lang}", expect_text=words.runbook, out_dir=tmp_path)
    assert page.locator("article.runbook h1").count() == 1
    assert page.locator("html").get_attribute("lang") == lang


def test_dark_scheme_is_accessible(
    plantao_sqlite: PlantaoServer, browser: Any, tmp_path: Path
) -> None:
    """With the browser in dark mode the layout's colours still pass axe-core (contrast)."""
    context = browser.new_context(locale="en-US", color_scheme="dark")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        server = plantao_sqlite
        check_page(
            page,
            f"{server.base_url}/login?lang=en",
            expect_text=LANGS["en"].login,
            out_dir=tmp_path,
        )
        log_in(page, server)
        check_page(
            page,
            f"{server.base_url}/runbooks?lang=en",
            expect_text=LANGS["en"].runbooks,
            out_dir=tmp_path,
        )
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(21, 23, 27)", background  # the dark scheme's --bg
    finally:
        context.close()


def test_skip_link_comes_first_and_focuses_main(plantao_sqlite: PlantaoServer, page: Any) -> None:
    """The first Tab lands on the skip link; Enter on it moves focus to <main>; further Tabs
    reach the nav links (wide screen, nav always open)."""
    server = plantao_sqlite
    log_in(page, server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server.base_url}/?lang=en")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "document.activeElement.className + '|' + document.activeElement.textContent"
    )
    assert focused == "skip-link|Skip to content"
    assert page.locator(".skip-link").is_visible()  # shown while focused

    # As many Tabs as the header has links (it grows with the product), plus the brand link.
    links = page.locator("header a[href]").count()
    reached = []
    for _ in range(links + 2):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.getAttribute('href')"))
    for href in ("/", "/oncall", "/schedules", "/runbooks", "/deliveries", "/audit", "/settings"):
        assert href in reached, f"Tab never reached the nav link {href}: {reached}"

    page.goto(f"{server.base_url}/?lang=en")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"


def test_nav_collapses_on_a_phone(plantao_sqlite: PlantaoServer, page: Any) -> None:
    """At 390 px the nav hides behind a Menu toggle that opens by keyboard; at 1366 px every
    link shows without it."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    log_in(page, server)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server.base_url}/?lang=en")
    expect(page.locator("details.menu > summary")).to_be_hidden()
    expect(page.locator("nav a[href='/oncall']")).to_be_visible()
    expect(page.locator("nav a[href='/']")).to_have_attribute("aria-current", "page")

    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{server.base_url}/?lang=en")
    summary = page.locator("details.menu > summary")
    expect(summary).to_be_visible()
    expect(page.locator("nav a[href='/oncall']")).to_be_hidden()
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("nav a[href='/oncall']")).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "/"


def test_person_menu_switches_language(plantao_sqlite: PlantaoServer, page: Any) -> None:
    """The person's menu names them and offers the other language, log out and log out
    everywhere; choosing Português keeps the page and switches it."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    log_in(page, server)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{server.base_url}/runbooks?lang=en")
    who = page.locator("details.user-menu > summary")
    expect(who).to_contain_text("boss")
    who.click()
    expect(page.locator("form[action='/logout/everywhere'] button")).to_be_visible()
    expect(page.locator("form[action='/logout'] button")).to_have_text("Log out")
    page.locator(".user-menu-panel a[hreflang='pt-BR']").click()
    page.wait_for_url(re.compile(r"/runbooks\?lang=pt-BR$"))
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("h1")).to_have_text("Runbooks")
    expect(page.locator("nav a[href='/users']")).to_have_text("Pessoas")


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_times_are_relative_with_the_absolute_time_as_title(
    plantao_sqlite: PlantaoServer, page: Any, lang: str
) -> None:
    """time.js rewrites each <time> as '… ago' / 'há …' (or 'in …' / 'em …' ahead) in the page
    language, puts the absolute local time in its title, and a click shows the absolute time."""
    server = plantao_sqlite
    ref = open_incident(server)
    log_in(page, server)
    page.goto(f"{server.base_url}/?lang={lang}")
    words = LANGS[lang]
    stamps = page.locator("tr", has=page.locator(f"a:text-is('{ref}')")).locator("time[datetime]")
    texts = [stamps.nth(i).inner_text().strip() for i in range(stamps.count())]
    assert texts and all(words.ago.match(t) or words.ahead.match(t) for t in texts), texts
    past = [i for i, text in enumerate(texts) if words.ago.match(text)]
    assert past, f"no time ago in {texts}"  # the incident was triggered moments ago
    stamp = stamps.nth(past[0])
    server_text = stamp.evaluate("el => el.dataset.serverText")
    assert server_text and server_text != texts[past[0]]  # what the page says without JavaScript
    title = stamp.get_attribute("title") or ""
    year = (stamp.get_attribute("datetime") or "")[:4]
    assert year in title and re.search(r"\d{2}:\d{2}:\d{2}", title), title
    stamp.click()
    assert stamp.inner_text().strip() == title
    stamp.click()
    assert words.ago.match(stamp.inner_text().strip())
