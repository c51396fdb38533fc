"""When a schedule hands over: the instants at which its on-call set changes.

Pure (no database, no wall clock). A handoff is due wherever the set of people on call changes
and somebody is on call afterwards; the instants come from the pure rotation
(``rotation.shifts``), so they follow its DST rules: a 09:00 Lisbon hand-off is 09:00 UTC in
winter and 08:00 UTC in summer, and the night the clocks change moves nothing else.

A shift that merely continues across the edge of the period looked at is not a handoff: each
candidate is checked against who was on call an instant before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from plantao.oncall.rotation import Schedule, shifts, who_is_on_call

__all__ = ["Boundary", "boundaries", "shift_start"]

_INSTANT = timedelta(microseconds=1)
#: How far back ``shift_start`` looks for the start of the outgoing shift.
LOOKBACK = timedelta(days=31)


@dataclass(frozen=True)
class Boundary:
    """A shift change at ``at`` from ``outgoing`` to ``incoming`` (handles, on-call order)."""

    at: datetime
    outgoing: tuple[str, ...]
    incoming: tuple[str, ...]


def boundaries(schedule: Schedule, start: datetime, end: datetime) -> list[Boundary]:
    """Shift changes in ``[start, end]`` (both ends included: the end is the last instant a
    handoff may be generated for), in time order."""
    candidates = {start, end}
    for shift in shifts(schedule, start, end + _INSTANT):
        candidates.add(shift.start)
        candidates.add(shift.end)
    found = []
    for at in sorted(c for c in candidates if start <= c <= end):
        before = tuple(who_is_on_call(schedule, at - _INSTANT))
        after = tuple(who_is_on_call(schedule, at))
        if after and set(before) != set(after):
            found.append(Boundary(at, before, after))
    return found


def shift_start(schedule: Schedule, handoff_at: datetime) -> datetime:
    """When the outgoing shift began: the previous change of the on-call set before
    ``handoff_at`` (at most ``LOOKBACK`` back, for a schedule that never changes)."""
    earlier = [
        b.at
        for b in _changes(schedule, handoff_at - LOOKBACK, handoff_at - _INSTANT)
        if b.at < handoff_at
    ]
    return earlier[-1] if earlier else handoff_at - LOOKBACK


def _changes(schedule: Schedule, start: datetime, end: datetime) -> list[Boundary]:
    """Like ``boundaries`` but also counts a change to nobody on call."""
    candidates = set()
    for shift in shifts(schedule, start, end + _INSTANT):
        candidates.add(shift.start)
        candidates.add(shift.end)
    found = []
    for at in sorted(c for c in candidates if start < c <= end):
        before = tuple(who_is_on_call(schedule, at - _INSTANT))
        after = tuple(who_is_on_call(schedule, at))
        if set(before) != set(after):
            found.append(Boundary(at, before, after))
    return found
