"""Durations as ``plantao.yaml`` writes them (``30s``, ``15m``, ``4h``, ``2d``, ``1w`` or whole
seconds), shared by every section of the file."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int) -> timedelta:
    if isinstance(value, int):
        return timedelta(seconds=value)
    match = _DURATION.match(value.strip())
    if not match:
        raise ValueError(f"'{value}' is not a duration; use e.g. 30s, 15m, 4h, 2d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])
