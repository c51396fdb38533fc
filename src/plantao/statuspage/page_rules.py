"""What a status page's settings may hold, checked the same way in ``plantao.yaml``, the API
and the web forms: a page is public, so its links and logo must be plain web addresses (no
``javascript:`` or ``data:``) and its colours plain hex values a stylesheet cannot be tricked
by. Pure."""

from __future__ import annotations

import re

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
COLOR_KEYS = ("brand", "text", "background")
#: Slugs a page may not take: the public routes under ``/status/`` (``pages.RESERVED``, kept
#: here too because this module is pure; a unit test keeps the two in step).
RESERVED = frozenset({"incidents", "history", "subscribe", "unsubscribe", "confirm"})


def storable(value: str) -> bool:
    """False for text the database refuses with an error of its own (NUL, lone surrogates)."""
    return not _UNSTORABLE.search(value)


def color(value: str) -> str:
    """A ``#rrggbb`` colour, lower-cased."""
    if not _COLOR.match(value.strip()):
        raise ValueError(f"'{value}' is not a colour like #0b5cad")
    return value.strip().lower()


def web_url(value: str) -> str:
    """An absolute http(s) URL with a host."""
    text = value.strip()
    match = re.match(r"^https?://([^/?#\s]+)", text, re.I)
    if not match or any(c.isspace() or ord(c) < 32 for c in text) or not storable(text):
        raise ValueError(f"'{value}' is not an http(s) URL")
    return text


def host(value: str) -> str:
    """A host name the page answers on (``status.example.com``), lower-cased, no port."""
    name = value.strip().lower()
    if not _HOST.match(name):
        raise ValueError(f"'{value}' is not a host name")
    return name


def page_slug(value: str) -> str:
    """A page slug that is not one of the public routes under ``/status/``."""
    if not SLUG.match(value):
        raise ValueError(f"'{value}' is not a slug (lower-case letters, digits and dashes)")
    if value in RESERVED:
        raise ValueError(f"'{value}' is reserved (it is a route of the status page)")
    return value


def component_slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError(f"'{value}' is not a slug (lower-case letters, digits and dashes)")
    return value
