"""Scrub secrets from step output before it is stored, shown or sent anywhere.

Commands print what they print: a ``kubectl describe`` dumps env vars, a failing ``curl -v``
echoes its Authorization header. The timeline and audit log outlive the incident and are read by
many people, so output is redacted at the source, once, before ``step_process`` returns it. Two
layers: the values of parameters declared ``secret: true`` (known exactly, replaced literally,
longest first so one secret containing another is fully covered), then patterns for credentials
that commonly leak. Patterns err on the side of redacting: a false positive costs a little
readability, a false negative leaks a credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MARK = "[REDACTED]"

_KEY_VALUE = (
    r"password|passwd|pwd|secret|client[_-]?secret|token|access[_-]?token|auth[_-]?token"
    r"|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key"
)
# (pattern, replacement); groups kept in the replacement preserve the key so output stays legible.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----"
            r"|\Z)",
            re.DOTALL,
        ),
        MARK,
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MARK),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b"), MARK),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), MARK),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"), MARK),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b"), MARK),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), MARK),
    (re.compile(r"\bsk_(?:live|test)_[A-Za-z0-9]{16,}\b"), MARK),
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1\2{MARK}"),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^/\s@]+(@)"), rf"\1{MARK}\2"),
    (
        re.compile(
            rf"(?i)\b((?:[a-z0-9]+[_-])*(?:{_KEY_VALUE}))(\"?\s*[=:]\s*)"
            r"(\"[^\"]*\"|'[^']*'|[^\s,;&\"']+)"
        ),
        rf"\1\2{MARK}",
    ),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace declared secret values, then known credential shapes, with ``[REDACTED]``."""
    for value in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(value, MARK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
