"""What an intake body may contain so that storing it cannot fail.

Why: intake requests share one inbox commit (``writer``), so a value the database refuses
would fail every request committed with it. PostgreSQL rejects ``\\u0000`` in ``jsonb`` and
``text``; orjson, which writes the inbox row, refuses nesting deeper than 255 levels and lone
UTF-16 surrogates. The edge rejects such a value with the field named, before it is queued, and
bounds strings and keys so one field cannot grow a row without limit. The walk runs on the
parsed JSON, once per request, before any model sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Containers (objects and lists) nested deeper than this, counted from the body, are refused.
#: Real payloads stay under ten; 32 leaves room for ``custom_details`` and stays far below
#: orjson's limit of 255.
MAX_DEPTH = 32
#: Longest string value, in characters; the body cap still bounds the request as a whole.
MAX_STRING_CHARS = 65_536
#: Longest object key (label names, annotation keys, ``custom_details`` keys), in characters.
MAX_KEY_CHARS = 1024

# NUL is refused by PostgreSQL text and jsonb; a lone surrogate cannot be encoded as UTF-8.
# orjson already refuses surrogates when it parses a body; they are checked here as well so the
# rule holds for any caller that builds values another way.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}")


@dataclass(frozen=True)
class Violation:
    """The first value of a body that cannot be accepted, and where it is."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class Unacceptable(ValueError):
    """A request-level value breaks a storage limit: the whole request is refused (4xx)."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(str(violation))
        self.violation = violation


def _key_path(path: str, key: str) -> str:
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    shown = _UNSTORABLE.sub("\ufffd", key[:64]) + ("…" if len(key) > 64 else "")
    return f"{path}[{shown!r}]"


def _string_problem(value: str, what: str, limit: int) -> str | None:
    if len(value) > limit:
        return f"{what} is longer than {limit} characters"
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return f"{what} contains a NUL character (\\u0000), which cannot be stored"
    return f"{what} contains a lone UTF-16 surrogate, which cannot be stored"


def _bad(text: str, limit: int) -> bool:
    # ``isascii`` reads a flag CPython keeps on every str: most values skip the regex.
    return (
        len(text) > limit
        or "\x00" in text
        or (not text.isascii() and _UNSTORABLE.search(text) is not None)
    )


# A step of the path to a violation: an object key or a list index.
_Step = str | int


def _find(value: Any, depth: int) -> tuple[list[_Step], str] | None:
    """The reversed path to the first violation and its message; the path is only built on
    the way out of a failure, so a clean body (every request) costs one pass and no strings."""
    if isinstance(value, str):
        if _bad(value, MAX_STRING_CHARS):
            return [], _string_problem(value, "the value", MAX_STRING_CHARS) or "invalid"
        return None
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            return [], f"nested deeper than {MAX_DEPTH} levels"
        for raw_key, item in value.items():
            key = raw_key if isinstance(raw_key, str) else str(raw_key)
            if _bad(key, MAX_KEY_CHARS):
                return [key], _string_problem(key, "the key", MAX_KEY_CHARS) or "invalid"
            if isinstance(item, (str, dict, list)):
                found = _find(item, depth + 1)
                if found is not None:
                    found[0].append(key)
                    return found
        return None
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            return [], f"nested deeper than {MAX_DEPTH} levels"
        for index, item in enumerate(value):
            if isinstance(item, (str, dict, list)):
                found = _find(item, depth + 1)
                if found is not None:
                    found[0].append(index)
                    return found
    return None


def violation(value: Any, path: str = "", depth: int = 0) -> Violation | None:
    """The first violation in ``value`` (found at ``path``, ``depth`` containers deep), or None.

    ``depth`` lets a caller check one element of a batch on its own and still count the
    containers around it: an alert inside ``{"alerts": [...]}`` starts at depth 2.
    """
    found = _find(value, depth)
    if found is None:
        return None
    steps, message = found
    where = path
    for step in reversed(steps):
        where = f"{where}[{step}]" if isinstance(step, int) else _key_path(where, step)
    return Violation(where or "body", message)


def check(value: Any, path: str = "", depth: int = 0) -> None:
    """Raise ``Unacceptable`` naming the field if ``value`` breaks a limit."""
    found = violation(value, path, depth)
    if found is not None:
        raise Unacceptable(found)


def check_envelope(body: Any, batch_key: str) -> None:
    """Check a batch body except the elements of ``body[batch_key]``, which are checked one by
    one (a bad element is rejected alone; its siblings are still stored)."""
    if isinstance(body, dict) and isinstance(body.get(batch_key), list):
        check({k: v for k, v in body.items() if k != batch_key})
        return
    check(body)
