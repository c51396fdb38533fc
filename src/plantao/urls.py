"""Which URLs from outside may become links.

Alerts, PagerDuty ``links``/``images``, runbook front matter and change events carry URLs that
anyone holding an integration key can write. Rendered as ``href`` a ``javascript:`` or ``data:``
URL runs script in a responder's session, so a URL becomes a link only when it is absolute
``http``/``https`` with a host, or a path relative to this server. Everything else stays visible
as text. Core module: every layer (intake, incidents, runbooks, notify, web) asks the same
question and must get the same answer.
"""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_SCHEMES = frozenset({"http", "https"})
MAX_URL_LENGTH = 2048

# Browsers drop ASCII tab/newline inside a URL and strip leading control characters, so
# "java\tscript:" is "javascript:" to them; such URLs are never links.
_UNSAFE_CHARS = frozenset(chr(c) for c in range(0x00, 0x21)) | {"\x7f", "\\"}


def safe_link(url: object) -> str | None:
    """The URL itself when it may be an ``href``, else None (render it as text, or not at all)."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if not candidate or len(candidate) > MAX_URL_LENGTH:
        return None
    if any(ch in _UNSAFE_CHARS for ch in candidate):
        return None
    if candidate.startswith("/"):
        # A path on this server; "//host" is protocol-relative, i.e. another origin.
        return None if candidate.startswith("//") else candidate
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname:
        return None
    return candidate


def is_safe_link(url: object) -> bool:
    return safe_link(url) is not None
