"""The status page's Atom and RSS feeds (pure), read back by ``feedparser`` as a feed reader
would: well-formed, one entry per published update, newest first, in the page's language."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import feedparser
import pytest

from plantao.statuspage import feeds
from plantao.statuspage.page_view import PageView
from tests.factories.page_views import T0, incident, quiet, sample

RENDERERS: dict[str, Callable[[PageView], bytes]] = {"atom": feeds.atom, "rss": feeds.rss}
VERSIONS = {"atom": "atom10", "rss": "rss20"}


def parse(kind: str, view: PageView) -> Any:
    parsed = feedparser.parse(RENDERERS[kind](view))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == VERSIONS[kind]
    return parsed


def epoch(struct: Any) -> int:
    return calendar.timegm(struct)


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_feed_lists_every_update_newest_first(kind: str) -> None:
    """Five published updates over two incidents give five entries, newest first."""
    parsed = parse(kind, sample())
    assert [e.title for e in parsed.entries] == [
        "Slow checkout — Identified",
        "Slow checkout — Investigating",
        "Login errors — Resolved",
        "Login errors — Monitoring",
        "Login errors — Investigating",
    ]
    stamps = [epoch(e.published_parsed) for e in parsed.entries]
    assert stamps == sorted(stamps, reverse=True)
    assert stamps[0] == int(T0.timestamp()) + 20 * 60


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_entries_link_the_public_incident_with_stable_ids(kind: str) -> None:
    """An entry links its incident's public page; its id is the same on every render."""
    first = parse(kind, sample()).entries[0]
    assert first.link == "https://status.example.com/status/incidents/7"
    assert first.id == "https://status.example.com/status/incidents/7#update-12"
    again = parse(kind, sample()).entries[0]
    assert again.id == first.id
    assert "rolling back" in first.summary


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_the_page_is_the_feed(kind: str) -> None:
    """Title, home link and self link are the page's; updated is the newest entry."""
    parsed = parse(kind, sample())
    assert parsed.feed.title == "Acme Status"
    assert parsed.feed.link == "https://status.example.com/status"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [f"https://status.example.com/status/feed.{kind}"]
    assert epoch(parsed.feed.updated_parsed) == int(T0.timestamp()) + 20 * 60


@pytest.mark.parametrize("kind", ["atom", "rss"])
@pytest.mark.parametrize(("language", "word"), [("en", "Investigating"), ("pt-BR", "Investigando")])
def test_feed_speaks_the_page_language(kind: str, language: str, word: str) -> None:
    """The feed declares the page's language and names statuses in it."""
    parsed = parse(kind, sample(language))
    assert parsed.feed.language == language
    assert parsed.entries[1].title == f"Slow checkout — {word}"


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_a_quiet_page_gives_a_valid_feed_of_its_recent_history(kind: str) -> None:
    """No open incident: the resolved ones still show; no incident at all: a valid empty feed."""
    assert len(parse(kind, quiet()).entries) == 3
    empty = parse(kind, replace(quiet(), resolved_incidents=()))
    assert empty.entries == []
    assert epoch(empty.feed.updated_parsed) == int(T0.timestamp()) + 3 * 60  # last change


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_rendering_again_later_changes_no_byte(kind: str) -> None:
    """The engine re-renders every minute: an unchanged page gives the same bytes."""
    for view in (sample(), replace(quiet(), resolved_incidents=())):
        later = replace(view, generated_at=view.generated_at + timedelta(hours=5))
        assert RENDERERS[kind](later) == RENDERERS[kind](view)


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_at_most_fifty_entries(kind: str) -> None:
    """Sixty updates keep the fifty newest."""
    many = tuple(
        incident(100 + n, f"Blip {n}", [(1000 + n, "resolved", "Gone.", -n, ())], (), "none")
        for n in range(60)
    )
    parsed = parse(kind, replace(quiet(), resolved_incidents=many))
    assert len(parsed.entries) == 50
    assert parsed.entries[0].title == "Blip 0 — Resolved"
    assert parsed.entries[-1].title == "Blip 49 — Resolved"


def _hostile() -> PageView:
    view = sample()
    open_one = view.open_incidents[0]
    bad = replace(open_one.updates[0], body="<script>alert(1)</script> & <b>bold</b>\x07")
    changed = replace(open_one, title="Pay <i>API</i>", updates=(bad, *open_one.updates[1:]))
    return replace(view, open_incidents=(changed,))


@pytest.mark.parametrize("kind", ["atom", "rss"])
def test_markup_in_update_text_is_escaped_never_live(kind: str) -> None:
    """A ``<script>`` in an update reaches readers as words, never as markup."""
    raw = RENDERERS[kind](_hostile())
    assert b"<script" not in raw and b"<b>" not in raw and b"\x07" not in raw
    entry = parse(kind, _hostile()).entries[0]
    assert entry.title == "Pay <i>API</i> — Identified"
    if kind == "atom":
        assert entry.content[0].type == "text/plain"
        assert entry.content[0].value == "<script>alert(1)</script> & <b>bold</b>"
    else:  # RSS descriptions are HTML: the words arrive escaped, as text to show
        assert (
            entry.summary == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        )
