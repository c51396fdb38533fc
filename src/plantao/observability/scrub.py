"""The one scrubber every log line goes through: credentials out, everything else kept.

Credentials reach text in three ways, and each has its own rule here:

- **in URLs**: intake and heartbeat keys, calendar-feed secrets and signed action links are path
  segments; chat webhooks carry their token in the path; some endpoints take ``?token=``. The
  path rules are case-insensitive and tolerate doubled slashes, because a request that *misses*
  the route (``/ical/<secret>.ICS``, ``/API/V1/INTAKE/<key>``) is exactly the one that is logged.
- **as name/value pairs** in bodies, headers and exception text: ``"routing_key": "…"``,
  ``Authorization: Bearer …``, ``plantao_session=…``, ``password=…``, a URL's
  ``user:password@``. The JSON rules also match the backslash-escaped form, so they still work on
  an already rendered JSON line (the last pass runs on the rendered text).
- **as known values**: secrets this process holds (the signing key, the SMTP password) are
  registered with :func:`register_secret` and replaced wherever they appear verbatim.

Every value rule stops at quotes, backslashes and whitespace, so scrubbing a rendered JSON line
keeps it valid JSON.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

# A path segment or token value: up to the next delimiter of URLs, JSON and log text.
_SEGMENT = r"""[^/\s"'?#&\\<>{}|,;]+"""
_VALUE = r"""[^\s"'&\\<>{}|,;)]+"""

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Secret-bearing paths of this server (any case, any number of slashes).
    (re.compile(rf"(/api/+v1/+(?:intake|heartbeats)/+){_SEGMENT}", re.I), rf"\1{REDACTED}"),
    # Calendar feeds: the secret goes, the extension stays (".ics", ".ICS").
    (re.compile(r"""(/ical/+)[^/\s"'?#&\\<>{}|,;.]+""", re.I), rf"\1{REDACTED}"),
    # Signed action links /a/<payload>.<mac>; shorter segments are ordinary paths.
    (re.compile(r"""(/a/+)[A-Za-z0-9_.=~%-]{12,}"""), rf"\1{REDACTED}"),
    # Chat webhooks: the path is the credential.
    (
        re.compile(
            rf"((?:hooks\.slack\.com/(?:services|workflows|triggers)|webhook\.office\.com/"
            rf"webhookb2|/api/webhooks|/hooks)/+){_VALUE}",
            re.I,
        ),
        rf"\1{REDACTED}",
    ),
    # Authorization headers and API tokens.
    (
        re.compile(r"""(\bauthorization\\?["']?\s*[:=]\s*\\?["']?)[^"'\\\r\n]+""", re.I),
        rf"\1{REDACTED}",
    ),
    (re.compile(rf"(\bbearer\s+){_VALUE}", re.I), rf"\1{REDACTED}"),
    (re.compile(r"\bplt_[A-Za-z0-9_-]{8,}", re.I), REDACTED),
    (re.compile(rf"(\bplantao_session=){_VALUE}", re.I), rf"\1{REDACTED}"),
    # user:password@host in any URL (database, SMTP relay, proxies).
    (
        re.compile(r"""(\b[a-z][a-z0-9+.-]*://[^\s:/@"'\\]*:)[^\s@/"'\\]+@""", re.I),
        rf"\1{REDACTED}@",
    ),
    # name=value / "name": "value" for names that only ever hold credentials.
    (
        re.compile(
            r"""((?<![A-Za-z0-9])(?:routing_key|integration_key|heartbeat_key|secret_key|"""
            r"""api_?key|access_token|refresh_token|token|password|passwd|smtp_password|"""
            r"""secret|sig|signature|csrf_token)\\?["']?\s*[:=]\s*\\?["']?)""" + _VALUE,
            re.I,
        ),
        rf"\1{REDACTED}",
    ),
    # SQLAlchemy's "[parameters: …]" (engines here hide them; another library's might not).
    (
        re.compile(r"(\[parameters: ).*?(\](?=[ \t]*(?:\r?\n|\\n|$|\(Background)))", re.M),
        rf"\1{REDACTED}\2",
    ),
    # PostgreSQL quotes the offending row in constraint errors: "Key (key)=(…) already exists."
    (re.compile(r"(\bKey \([^)]*\)=\()[^)]*"), rf"\1{REDACTED}"),
)

# Event-dict keys whose whole value is a credential, whatever it looks like.
SECRET_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "token",
        "key",
        "routing_key",
        "integration_key",
        "heartbeat_key",
        "secret",
        "secret_key",
        "password",
        "smtp_password",
        "api_key",
        "access_token",
        "plantao_session",
    }
)

_known: set[str] = set()
_known_lock = threading.Lock()
_known_pattern: re.Pattern[str] | None = None

# Shorter values would redact ordinary words; every real secret here is far longer.
MIN_KNOWN_SECRET = 8


def register_secret(value: str | None) -> None:
    """Redact ``value`` verbatim from every later log line (ignored when short or empty)."""
    global _known_pattern
    if not value or len(value) < MIN_KNOWN_SECRET:
        return
    with _known_lock:
        if value in _known:
            return
        _known.add(value)
        alternatives = sorted(_known, key=len, reverse=True)
        _known_pattern = re.compile("|".join(re.escape(v) for v in alternatives))


def scrub(text: str) -> str:
    """``text`` with every credential the rules above recognise replaced by ``[REDACTED]``."""
    known = _known_pattern
    if known is not None:
        text = known.sub(REDACTED, text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub_value(value: Any) -> Any:
    """Strings scrubbed; dicts, lists and tuples scrubbed all the way down; the rest as is."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {
            k: REDACTED if str(k).lower() in SECRET_KEYS else scrub_value(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return type(value)(scrub_value(v) for v in value)
    return value
