"""The only wall-clock read in the code base.

Escalations, grouping windows and SLA targets all depend on "now"; routing every read through
this module lets tests freeze or advance time without patching internals.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_lock = threading.Lock()
_frozen: datetime | None = None


def now() -> datetime:
    """Current time as an aware UTC datetime (frozen when a test says so)."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return datetime.now(UTC)


def freeze(at: datetime) -> None:
    """Stop the clock at ``at`` until :func:`unfreeze` (tests and simulations only)."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("the clock only holds timezone-aware datetimes")
    with _lock:
        _frozen = at.astimezone(UTC)


def advance(delta: timedelta) -> datetime:
    """Move a frozen clock forward; refuses on a running clock so a test cannot fool itself."""
    global _frozen
    with _lock:
        if _frozen is None:
            raise RuntimeError("advance() needs a frozen clock")
        _frozen = _frozen + delta
        return _frozen


def unfreeze() -> None:
    global _frozen
    with _lock:
        _frozen = None


@contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    freeze(at)
    try:
        yield
    finally:
        unfreeze()
