"""structlog configuration: JSON lines with a request id, secrets scrubbed.

Integration keys travel in intake URLs and tokens in headers; the scrubber removes both from
anything logged so that log shipping never leaks a credential.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_PATTERNS = (
    (re.compile(r"(/api/v1/intake/)[^/\s{]+"), r"\1[REDACTED]"),
    (re.compile(r"(/api/v1/heartbeats/)[^/\s{]+"), r"\1[REDACTED]"),
    (re.compile(r"(/ical/)[^/\s{]+?(\.ics)"), r"\1[REDACTED]\2"),
    (re.compile(r"(^|[\s/])(a/)[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]+"), r"\1\2[REDACTED]"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1[REDACTED]"),
    (re.compile(r"plt_[A-Za-z0-9_-]{20,}"), "[REDACTED]"),
    (re.compile(r'("routing_key"\s*:\s*")[^"]*'), r"\1[REDACTED]"),
)
_SECRET_KEYS = {
    "authorization",
    "token",
    "routing_key",
    "integration_key",
    "key",
    "password",
    "secret",
    "cookie",
}


def scrub(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub_processor(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if key.lower() in _SECRET_KEYS:
            event_dict[key] = "[REDACTED]"
        elif isinstance(value, str):
            event_dict[key] = scrub(value)
    return event_dict


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is now, so redirection (tests, daemons) is honoured."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: str = "INFO", *, json: bool = True) -> None:
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _scrub_processor,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
