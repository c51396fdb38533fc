"""Corrective-action ids as people write them (``AC-07``) and as rows store them (7). Pure.

Numbers are the action's primary key, so an id is unique across the installation like a
ticket key: the gate's answer, a CI log or a chat message naming ``AC-07`` means one action.
"""

from __future__ import annotations

import re

_ID = re.compile(r"^\s*(?:ac-?)?0*(\d{1,12})\s*$", re.IGNORECASE)


def format_action_id(number: int) -> str:
    """``7`` → ``AC-07`` (two digits at least, as seed 002's template writes them)."""
    return f"AC-{number:02d}"


def parse_action_id(text: str) -> int:
    """``AC-07``, ``ac-7`` or ``7`` → ``7``; anything else is a ValueError naming the form."""
    match = _ID.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"'{text[:40]}' is not an action id; write it like AC-07")
    return int(match.group(1))
