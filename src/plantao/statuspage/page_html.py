"""The public status page as HTML: the page, one incident, the history, and the page's colours.

Standalone pages, not the signed-in layout: no navigation, no session, no JavaScript, one
stylesheet file (``/static/status.css``) plus the page's own ``theme.css`` (its colours as CSS
custom properties), so the strict Content-Security-Policy holds (no ``style=``, no inline
script). Rendered by the engine into snapshots, so every byte here must be the same for every
reader: times are absolute in UTC, in the snapshot's language; the footer says when what the
page shows last changed, not when it was rendered (the engine renders every minute: bytes that
changed every minute would defeat ETags and caches). Pure: reads only the view.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from plantao.statuspage import page_texts, statuspage_json
from plantao.statuspage.page_view import IncidentView, PageInfo, PageView

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_env = Environment(
    loader=FileSystemLoader(str(Path(__file__).parent / "templates" / "html")),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _context(
    page: PageInfo, language: str, generated_at: datetime, names: dict[str, str]
) -> dict[str, Any]:
    texts = page_texts.TEXTS[language]

    def when(at: datetime) -> str:
        return page_texts.when(at, language)

    def day(at: date) -> str:
        return page_texts.day(at, language)

    return {
        "page": page,
        "lang": language,
        "t": texts,
        "when": when,
        "day": day,
        "share": page_texts.share,
        "names": names,
        "generated_at": generated_at,
        "lang_query": f"?lang={language}",
        "lang_amp": f"&lang={language}",
    }


def _names(view: PageView) -> dict[str, str]:
    return {c.slug: c.name for c in view.components}


def page(view: PageView, language: str) -> str:
    """The status page: overall status, open incidents, maintenance, components with their
    90-day bars, the recent history."""
    context = _context(view.page, language, statuspage_json.last_changed(view), _names(view))
    return _env.get_template("page.html").render(view=view, **context)


def incident(view: PageView, item: IncidentView, language: str) -> str:
    """One public incident with every update, newest first."""
    context = _context(view.page, language, statuspage_json.last_changed(view), _names(view))
    return _env.get_template("incident.html").render(incident=item, **context)


def history(
    view: PageView,
    items: Sequence[IncidentView],
    number: int,
    total: int,
    language: str,
) -> str:
    """Resolved incidents grouped by the month they were resolved in, page ``number`` of
    ``total``."""
    months: list[tuple[str, list[IncidentView]]] = []
    for item in items:
        at = item.resolved_at or item.created_at
        heading = page_texts.month(at.year, at.month, language)
        if not months or months[-1][0] != heading:
            months.append((heading, []))
        months[-1][1].append(item)
    context = _context(view.page, language, statuspage_json.last_changed(view), _names(view))
    return _env.get_template("history.html").render(
        months=months, number=number, total=total, **context
    )


def theme_css(page: PageInfo) -> str:
    """The page's colours as custom properties ``static/status.css`` reads (the values were
    checked to be hex colours when the view was built)."""
    brand = page.branding
    pairs = (
        ("brand", brand.brand_color),
        ("text", brand.text_color),
        ("bg", brand.background_color),
    )
    body = "".join(f"--sp-{name}:{value};" for name, value in pairs if _HEX.fullmatch(value))
    return ":root{" + body + "}\n"
