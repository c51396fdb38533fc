"""The public status page's pure parts: language choice, its words, uptime shares, and which
page and artifact a request names."""

from __future__ import annotations

from datetime import UTC, date, datetime

from plantao.statuspage import page_texts
from plantao.statuspage.serving import Index, resolve
from plantao.statuspage.snapshots import PageEntry

PUBLIC = PageEntry(1, "public", None, "public", "en")
INTERNAL = PageEntry(2, "internal", None, "internal", "pt-BR")
ACME = PageEntry(3, "acme", "status.acme.test", "public", "en")
INDEX = Index.of([PUBLIC, INTERNAL, ACME])


def test_every_text_exists_in_both_languages() -> None:
    """English and Portuguese have the same keys, all prefixed ``sp_``."""
    assert page_texts.EN.keys() == page_texts.PT_BR.keys()
    assert all(key.startswith("sp_") for key in page_texts.EN)


def test_language_from_query_then_browser_then_page() -> None:
    """``?lang=`` wins, then the browser's best known language by weight, then the page's."""
    assert page_texts.pick("pt-BR", "en", "en") == "pt-BR"
    assert page_texts.pick(None, "fr;q=1, en;q=0.4, pt;q=0.8", "en") == "pt-BR"
    assert page_texts.pick("xx", "de", "pt-BR") == "pt-BR"
    assert page_texts.pick(None, "en;q=0", "pt-BR") == "pt-BR"


def test_times_shares_and_months_read_as_people_write_them() -> None:
    """Times are absolute UTC in each language; an almost-full day never reads 100%."""
    at = datetime(2026, 12, 2, 17, 5, tzinfo=UTC)
    assert page_texts.when(at, "en") == "2 Dec 2026, 17:05 UTC"
    assert page_texts.when(at, "pt-BR") == "2 dez 2026, 17:05 UTC"
    assert page_texts.day(date(2026, 2, 1), "pt-BR") == "1 fev 2026"
    assert page_texts.month(2026, 10, "pt-BR") == "outubro de 2026"
    assert page_texts.share(0.99999) == "99.99%"
    assert page_texts.share(1.0) == "100%"
    assert page_texts.share(0.9995) == "99.95%"


def test_paths_name_pages_and_artifacts() -> None:
    """``/status`` is the public page, ``/status/<slug>`` another, with their sub-paths."""
    names = {
        "/status": (1, "html:en"),
        "/status/": (1, "html:en"),
        "/status/feed.atom": (1, "feed.atom"),
        "/status/theme.css": (1, "theme.css"),
        "/status/incidents/42": (1, "incident:42:en"),
        "/status/history": (1, "history:1:en"),
        "/api/v2/summary.json": (1, "summary.json"),
        "/api/v2/incidents/unresolved.json": (1, "incidents/unresolved.json"),
        "/status/internal": (2, "html:pt-BR"),
        "/status/internal/feed.rss": (2, "feed.rss"),
        "/status/acme/api/v2/status.json": (3, "status.json"),
    }
    for path, want in names.items():
        target = resolve(INDEX, path, "plantao.test", {}, None)
        assert target is not None, path
        assert (target.page.id, target.name) == want, path


def test_a_host_name_serves_its_page_at_root_and_status() -> None:
    """On a page's own host name, ``/``, ``/status`` and ``/api/v2/…`` are that page."""
    for path in ("/", "/status", "/api/v2/summary.json"):
        target = resolve(INDEX, path, "Status.Acme.Test:443", {}, None)
        assert target is not None and target.page.id == 3, path
    assert resolve(INDEX, "/", "plantao.test", {}, None) is None


def test_other_paths_are_left_to_the_application() -> None:
    """Forms, unknown documents and bad page numbers are not snapshot routes."""
    for path, query in (
        ("/status/subscribe", {}),
        ("/status/nope", {}),
        ("/api/v2/nope.json", {}),
        ("/status/history", {"page": "x"}),
        ("/status/incidents/abc", {}),
        ("/statusx", {}),
    ):
        assert resolve(INDEX, path, "plantao.test", query, None) is None, path
    target = resolve(INDEX, "/status/history", "h", {"page": "2", "lang": "pt-BR"}, None)
    assert target is not None and target.name == "history:2:pt-BR"
