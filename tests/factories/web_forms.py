"""The web UI's forms as a browser would see them, for tests that post every form.

``FormParser`` reads a page's ``<form method=post>`` elements with the standard library's HTML
parser and fills each the way a person submitting it would: hidden and pre-filled values kept,
the selected (or first) option of a select, the first radio of a group, every checkbox ticked
(what someone probing the server would send), the first named submit button as if pressed, and
a plausible value for each required field left empty (by input type). ``crawl`` follows a
signed-in client's same-site links from a start page, breadth first and bounded, and returns
every page it read with its post forms; links that would end the session, stream forever or
leave the UI are not followed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from httpx import Response

#: Paths never followed: they end the session, stream, serve files or leave the HTML UI (the
#: public status pages need no login by design; their own tests cover them).
SKIP = re.compile(
    r"^/(logout|login|live/|static/|a/|ical/|api/|docs|redoc|openapi\.json|metrics|healthz|readyz)"
    r"|^/status(/|$)"
    r"|/export(\b|$)"
)
FILLERS = {
    "number": "1",
    "email": "matrix@example.com",
    "url": "https://example.com/",
    "datetime-local": "2030-01-02T10:00",
    "date": "2030-01-02",
    "time": "10:00",
    "tel": "+5511999999999",
}


@dataclass
class Form:
    """One post form: where it posts and the fields a submission would carry."""

    page: str
    action: str
    fields: dict[str, str | list[str]] = field(default_factory=dict)

    def data(self, csrf: str | None = None) -> dict[str, str | list[str]]:
        """The submission, with another session's CSRF token when ``csrf`` is given."""
        data = dict(self.fields)
        if csrf is not None and "csrf" in data:
            data["csrf"] = csrf
        return data


@dataclass
class _Open:
    action: str
    fields: dict[str, str | list[str]] = field(default_factory=dict)
    radios: set[str] = field(default_factory=set)
    select: str | None = None
    select_value: str | None = None
    select_first: str | None = None
    option_value: str | None = None
    option_text: str = ""
    textarea: str | None = None
    textarea_required: bool = False
    textarea_text: str = ""


class FormParser(HTMLParser):
    """Collects the post forms and same-site links of one page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._open: _Open | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and "href" in a:
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._open = _Open(action=urljoin(self.page, a.get("action") or self.page))
        elif self._open is None or ("name" not in a and tag != "option"):
            return
        elif tag == "input":
            self._input(self._open, a)
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            self._open.fields.setdefault(a["name"], a.get("value", ""))  # the first, as if pressed
        elif tag == "select":
            self._open.select, self._open.select_value, self._open.select_first = (
                a["name"],
                None,
                None,
            )
        elif tag == "option":
            self._open.option_value = a.get("value")
            self._open.option_text = ""
            if self._open.select is not None and "selected" in a:
                self._open.select_value = a.get("value", "")
        elif tag == "textarea":
            self._open.textarea, self._open.textarea_text = a["name"], ""
            self._open.textarea_required = "required" in a

    def handle_data(self, data: str) -> None:
        if self._open is None:
            return
        if self._open.textarea is not None:
            self._open.textarea_text += data
        elif self._open.option_value is None and self._open.select is not None:
            self._open.option_text += data

    def handle_endtag(self, tag: str) -> None:
        form = self._open
        if form is None:
            return
        if tag == "option" and form.select is not None:
            value = form.option_value if form.option_value is not None else form.option_text
            if form.select_first is None:
                form.select_first = value.strip()
            form.option_value = None
        elif tag == "select" and form.select is not None:
            chosen = form.select_value if form.select_value is not None else form.select_first
            form.fields[form.select] = chosen or ""
            form.select = None
        elif tag == "textarea" and form.textarea is not None:
            text = form.textarea_text.strip()
            form.fields[form.textarea] = text or ("matrix" if form.textarea_required else "")
            form.textarea = None
        elif tag == "form":
            self.forms.append(Form(self.page, form.action, form.fields))
            self._open = None

    @staticmethod
    def _input(form: _Open, a: dict[str, str]) -> None:
        kind = a.get("type", "text").lower()
        name = a["name"]
        if kind == "submit":
            form.fields.setdefault(name, a.get("value", ""))  # the first, as if pressed
            return
        if kind in ("button", "image", "reset", "file"):
            return
        if kind == "checkbox":  # ticked: a person could tick every box, so the walk does
            ticked = form.fields.setdefault(name, [])
            if isinstance(ticked, list):
                ticked.append(a.get("value", "on"))
            return
        if kind == "radio":
            if name not in form.radios or "checked" in a:
                form.radios.add(name)
                form.fields[name] = a.get("value", "on")
            return
        value = a.get("value", "")
        if not value and "required" in a:
            value = a.get("min") or FILLERS.get(kind, "matrix")
        form.fields[name] = value


def parse(page: str, html: str) -> FormParser:
    parser = FormParser(page)
    parser.feed(html)
    parser.close()
    return parser


def _group(path: str) -> tuple[str, int]:
    """Pages alike: the same first segment at the same depth (/runbooks/a and /runbooks/b)."""
    parts = [p for p in path.split("/") if p]
    return (parts[0] if parts else "", len(parts))


def crawl(
    get: Callable[[str], Response],
    start: str,
    *,
    origin: str,
    limit: int = 80,
    per_group: int = 3,
) -> dict[str, FormParser]:
    """Pages reachable from ``start`` through same-site links (query strings dropped, each path
    read once, at most ``per_group`` pages alike and ``limit`` in all); ``get`` fetches a path
    without following redirects."""
    seen: dict[str, FormParser] = {}
    groups: dict[tuple[str, int], int] = {}
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        group = _group(path)
        if path in seen or groups.get(group, 0) >= per_group:
            continue
        res = get(path)
        if res.status_code != 200 or "text/html" not in res.headers.get("content-type", ""):
            continue
        groups[group] = groups.get(group, 0) + 1
        parsed = parse(urljoin(origin, path), res.text)
        seen[path] = parsed
        for link in parsed.links:
            parts = urlsplit(link)
            if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
                continue
            if parts.path not in seen and parts.path not in queue:
                queue.append(parts.path)
    return seen
