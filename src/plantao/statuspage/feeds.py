"""The page's Atom and RSS feeds: one entry per published incident update, newest first, so a
feed reader (or a chat integration that follows feeds) shows each step of an incident as it is
published. Pure: built from the page's
:class:`~plantao.statuspage.page_view.PageView`; the snapshot step stores the bytes.

An entry's id (Atom) and guid (RSS) is the incident's public URL with ``#update-<id>``: stable
across re-renders, so readers never show an update twice. Texts are the page's language; the
update's words are text, never markup (the XML escapes them).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from plantao.statuspage.page_view import IncidentView, PageView, UpdateView
from plantao.statuspage.statuspage_json import last_changed

#: A feed keeps the newest updates only, as Statuspage's feeds do.
LIMIT = 50

#: Incident status words in the page's language (entry titles: "<title> — <Status>").
STATUS_WORDS = {
    "en": {
        "investigating": "Investigating",
        "identified": "Identified",
        "monitoring": "Monitoring",
        "resolved": "Resolved",
    },
    "pt-BR": {
        "investigating": "Investigando",
        "identified": "Identificado",
        "monitoring": "Monitorando",
        "resolved": "Resolvido",
    },
}
#: The feed's subtitle (RSS requires a description), by the page's language.
SUBTITLES = {
    "en": "Incident updates published on {name}",
    "pt-BR": "Atualizações de incidentes publicadas em {name}",
}
#: XML 1.0 cannot carry these; a pasted terminal escape must not break the whole feed.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class _Entry:
    incident: IncidentView
    update: UpdateView


def _aware(moment: datetime) -> datetime:
    """feedgen refuses naive times; SQLite hands them back naive, and they are UTC."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _language(view: PageView) -> str:
    return view.page.language if view.page.language in STATUS_WORDS else "en"


def page_url(view: PageView) -> str:
    return view.page.base_url.rstrip("/") + view.page.path


def entries(view: PageView) -> list[_Entry]:
    """Every update of every incident the view holds, newest first, at most :data:`LIMIT`."""
    every = [_Entry(i, u) for i in view.open_incidents + view.resolved_incidents for u in i.updates]
    every.sort(key=lambda e: (_aware(e.update.created_at), e.update.id), reverse=True)
    return every[:LIMIT]


def title_of(view: PageView, incident: IncidentView, update: UpdateView) -> str:
    words = STATUS_WORDS[_language(view)]
    return f"{_text(incident.title)} — {words.get(update.status, update.status.capitalize())}"


def _feed(view: PageView, self_url: str, *, html_descriptions: bool) -> FeedGenerator:
    """The feed for one format. RSS readers treat ``<description>`` as HTML, so there the
    update's text is HTML-escaped first (a ``<script>`` in it shows as words, never runs);
    Atom says ``type="text"`` and carries the words as they are."""
    language = _language(view)
    chosen = entries(view)
    # Not the render time: the engine re-renders every minute and the bytes must stay put.
    updated = _aware(chosen[0].update.created_at) if chosen else last_changed(view)
    home = page_url(view)
    fg = FeedGenerator()
    fg.id(home)
    fg.title(_text(view.page.name))
    fg.subtitle(SUBTITLES[language].format(name=_text(view.page.name)))
    fg.author({"name": _text(view.page.name)})
    fg.link(href=self_url, rel="self")
    fg.link(href=home, rel="alternate")  # last: RSS's channel link is the last one set
    fg.language(language)
    fg.generator("Plantão")
    fg.updated(updated)
    fg.lastBuildDate(updated)
    for e in chosen:
        at = _aware(e.update.created_at)
        guid = f"{e.incident.url}#update-{e.update.id}"
        fe = fg.add_entry(order="append")
        fe.id(guid)
        fe.guid(guid, permalink=False)
        fe.title(title_of(view, e.incident, e.update))
        fe.link(href=e.incident.url, rel="alternate")
        words = _text(e.update.body) or title_of(view, e.incident, e.update)
        if html_descriptions:
            fe.description(html.escape(words, quote=False))
        else:
            fe.content(words, type="text")
        fe.published(at)
        fe.updated(at)
    return fg


def atom(view: PageView) -> bytes:
    """``/status/feed.atom`` (or ``<page path>/feed.atom``)."""
    feed = _feed(view, page_url(view) + "/feed.atom", html_descriptions=False)
    return bytes(feed.atom_str(pretty=True))


def rss(view: PageView) -> bytes:
    """``/status/feed.rss`` (or ``<page path>/feed.rss``)."""
    feed = _feed(view, page_url(view) + "/feed.rss", html_descriptions=True)
    return bytes(feed.rss_str(pretty=True))
