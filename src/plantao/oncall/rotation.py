"""Schedules: who is on call at an instant, and the shifts in a period.

Pure module: no DB, no web, no wall clock. Every function takes the instant it reasons about.

Model
-----
A :class:`Schedule` is an ordered list of :class:`Layer` s plus :class:`Override` s. A layer is a
:class:`Rotation` (ordered participants, shift length, hand-off time of day, IANA time zone,
start date) optionally restricted to weekly local-time windows (e.g. weekdays 09:00-18:00).
Where several layers have someone on call, the **later layer wins** (like a stack of
transparencies: a layer shows through only where the layers above it are empty).

Time rules (why they are what they are)
---------------------------------------
* Calendar rotations (daily, weekly, every N days) are anchored in the rotation's **local** time:
  a 09:00 hand-off stays 09:00 on the wall clock across DST changes, which is what people agree
  to when they sign up for "the Tuesday shift". The price: the shift that contains a DST change
  lasts 23 or 25 hours of real time (a weekly one, 167 or 169 hours).
* Hour-based and custom-``timedelta`` rotations are anchored in **absolute** time: an hourly
  (or 8-hour) rotation hands off every N real hours, so nobody is on call for 0 or 2 hours on
  the night the clocks move.
* A local time that does not exist (DST gap) is moved **forward by the length of the gap**
  (02:30 becomes 03:30 when clocks jump from 02:00 to 03:00; in America/Sao_Paulo on 2018-11-04
  a 00:00 hand-off happens at 01:00). A local time that occurs twice (DST fold) means its
  **first** occurrence. Both are what PEP 495 ``fold=0`` gives, so the rule matches Python's own
  arithmetic and is easy to reproduce elsewhere.
* Everything returned is an aware UTC datetime; intervals are half-open ``[start, end)``.

Overrides (applied in the order given)
--------------------------------------
* ``REPLACE``: ``user`` takes the time of ``replaces`` (or of whoever is on call when
  ``replaces`` is None). Only time where somebody is on call is given away.
* ``ADD``: ``user`` is on call in addition to whoever is.
* ``REMOVE``: ``user`` (or everybody, when ``user`` is None) is taken off call.

An override with ``layer`` set acts inside that layer before the layers are stacked (so removing
everybody from the top layer lets the layer below show through); with ``layer=None`` it acts on
the stacked result. A :class:`Shift` produced by a schedule-wide override has ``layer=None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = [
    "WEEKDAYS",
    "Layer",
    "Override",
    "OverrideKind",
    "Rotation",
    "Schedule",
    "Shift",
    "ShiftLength",
    "TimeWindow",
    "next_shifts",
    "resolve_local",
    "shifts",
    "who_is_on_call",
]

WEEKDAYS: frozenset[int] = frozenset(range(5))
"""Monday to Friday, as ``date.weekday()`` numbers."""

_NEXT_SHIFTS_FIRST_HORIZON = timedelta(days=7)
_NEXT_SHIFTS_MAX_HORIZON = timedelta(days=2 * 366)


def _require_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


def resolve_local(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``tz``.

    A nonexistent wall time moves forward by the gap; an ambiguous one is its first occurrence
    (see the module docstring). Both follow from ``fold=0``: inside a gap Python uses the offset
    in force before the transition.
    """
    if wall.tzinfo is not None:
        raise ValueError("wall-clock times must be naive (the zone is given separately)")
    return datetime.combine(day, wall).replace(tzinfo=tz, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class ShiftLength:
    """How long one participant's turn lasts.

    Exactly one of ``days`` (calendar days, local-time anchored) or ``duration`` (real elapsed
    time, absolute anchored) is set; use the constructors.
    """

    days: int = 0
    duration: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if (self.days > 0) == (self.duration > timedelta(0)):
            raise ValueError("set exactly one of days > 0 or duration > 0")
        if self.days < 0 or self.duration < timedelta(0):
            raise ValueError("shift length must be positive")

    @classmethod
    def hourly(cls, hours: int = 1) -> ShiftLength:
        return cls(duration=timedelta(hours=hours))

    @classmethod
    def daily(cls, days: int = 1) -> ShiftLength:
        return cls(days=days)

    @classmethod
    def weekly(cls, weeks: int = 1) -> ShiftLength:
        return cls(days=7 * weeks)

    @classmethod
    def custom(cls, duration: timedelta) -> ShiftLength:
        """Absolute-time length (even when it is a whole number of days)."""
        return cls(duration=duration)

    @property
    def is_calendar(self) -> bool:
        return self.days > 0


@dataclass(frozen=True)
class Rotation:
    """Participants taking turns; turn 0 starts at ``handoff`` on ``start`` in ``tz``.

    Before the first hand-off nobody from the rotation is on call.
    """

    participants: tuple[str, ...]
    length: ShiftLength
    start: date
    handoff: time = time(9, 0)
    tz: str = "UTC"

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValueError("a rotation needs at least one participant")
        if self.handoff.tzinfo is not None:
            raise ValueError("handoff must be a naive wall-clock time")
        ZoneInfo(self.tz)  # raises ZoneInfoNotFoundError for unknown zones

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def shift_start(self, index: int) -> datetime:
        """UTC start of turn ``index`` (turn ``index + 1`` starts where it ends)."""
        if self.length.is_calendar:
            day = self.start + timedelta(days=index * self.length.days)
            return resolve_local(day, self.handoff, self.zone)
        return resolve_local(self.start, self.handoff, self.zone) + index * self.length.duration

    def index_at(self, at: datetime) -> int | None:
        """The turn in progress at ``at``, or None before the rotation starts."""
        at = _require_aware(at, "at")
        if at < self.shift_start(0):
            return None
        if not self.length.is_calendar:
            return (at - self.shift_start(0)) // self.length.duration
        local_day = at.astimezone(self.zone).date()
        index = max(0, (local_day - self.start).days // self.length.days)
        while self.shift_start(index + 1) <= at:
            index += 1
        while index > 0 and self.shift_start(index) > at:
            index -= 1
        return index

    def user_at(self, at: datetime) -> str | None:
        index = self.index_at(at)
        if index is None:
            return None
        return self.participants[index % len(self.participants)]

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Hand-off instants strictly inside ``(start, end)``."""
        first = self.index_at(start)
        index = 0 if first is None else first + 1
        while (moment := self.shift_start(index)) < end:
            if moment > start:
                yield moment
            index += 1


@dataclass(frozen=True)
class TimeWindow:
    """A weekly local-time window: on each of ``weekdays``, from ``start`` to ``end``.

    ``end <= start`` means the window runs past midnight into the next day (``start == end`` is
    a whole day); ``weekdays`` names the day the window starts on (0 = Monday).
    """

    weekdays: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays must be a non-empty subset of 0..6 (Monday = 0)")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("window times must be naive wall-clock times")

    def span_on(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The UTC interval of the window starting on local ``day``, if it runs that day."""
        if day.weekday() not in self.weekdays:
            return None
        end_day = day + timedelta(days=1) if self.end <= self.start else day
        return resolve_local(day, self.start, tz), resolve_local(end_day, self.end, tz)


@dataclass(frozen=True)
class Layer:
    """A rotation, optionally limited to local-time windows in the rotation's zone."""

    name: str
    rotation: Rotation
    restrictions: tuple[TimeWindow, ...] = ()

    def covers(self, at: datetime) -> bool:
        """Whether the restrictions (if any) allow this layer to be on call at ``at``."""
        if not self.restrictions:
            return True
        tz = self.rotation.zone
        local_day = at.astimezone(tz).date()
        for day in (local_day - timedelta(days=1), local_day):
            for window in self.restrictions:
                span = window.span_on(day, tz)
                if span is not None and span[0] <= at < span[1]:
                    return True
        return False

    def boundaries(self, start: datetime, end: datetime) -> Iterator[datetime]:
        yield from self.rotation.boundaries(start, end)
        if not self.restrictions:
            return
        tz = self.rotation.zone
        day = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date()
        while day <= last:
            for window in self.restrictions:
                span = window.span_on(day, tz)
                if span is not None:
                    yield from (edge for edge in span if start < edge < end)
            day += timedelta(days=1)


class OverrideKind(StrEnum):
    REPLACE = "replace"
    ADD = "add"
    REMOVE = "remove"


@dataclass(frozen=True)
class Override:
    """A temporary change for ``[start, end)``; see the module docstring for the semantics."""

    kind: OverrideKind
    start: datetime
    end: datetime
    user: str | None = None
    replaces: str | None = None
    layer: str | None = None

    def __post_init__(self) -> None:
        start = _require_aware(self.start, "override start")
        end = _require_aware(self.end, "override end")
        if end <= start:
            raise ValueError("an override must end after it starts")
        if self.kind in (OverrideKind.REPLACE, OverrideKind.ADD) and self.user is None:
            raise ValueError(f"a {self.kind} override needs a user")
        if self.replaces is not None and self.kind is not OverrideKind.REPLACE:
            raise ValueError("only replace overrides name whom they replace")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def active_at(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class Schedule:
    """Layers (later ones win) plus overrides; ``id`` (or ``name``) keys exported UIDs."""

    name: str
    layers: tuple[Layer, ...]
    overrides: tuple[Override, ...] = ()
    id: str | None = None

    def __post_init__(self) -> None:
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ValueError("layer names must be unique within a schedule")
        for override in self.overrides:
            if override.layer is not None and override.layer not in names:
                raise ValueError(f"override names unknown layer {override.layer!r}")

    @property
    def key(self) -> str:
        return self.id if self.id is not None else self.name


@dataclass(frozen=True)
class Shift:
    """One person's uninterrupted time on call from one layer (None: a schedule override)."""

    user: str
    start: datetime
    end: datetime
    layer: str | None


# (user, layer) pairs in a stable order: rotation member first, then added people.
_Assignment = tuple[tuple[str, str | None], ...]


def _apply(
    entries: list[tuple[str, str | None]],
    overrides: Iterable[Override],
    layer: str | None,
) -> list[tuple[str, str | None]]:
    for override in overrides:
        if override.kind is OverrideKind.REMOVE:
            entries = [e for e in entries if override.user is not None and e[0] != override.user]
        elif override.kind is OverrideKind.ADD:
            assert override.user is not None
            entries = [*entries, (override.user, layer)]
        elif override.replaces is None:
            assert override.user is not None
            entries = [(override.user, layer)] if entries else []
        else:
            assert override.user is not None
            entries = [(override.user, layer) if e[0] == override.replaces else e for e in entries]
    seen: set[str] = set()
    unique = []
    for entry in entries:
        if entry[0] not in seen:
            seen.add(entry[0])
            unique.append(entry)
    return unique


def _assignment_at(schedule: Schedule, at: datetime) -> _Assignment:
    active = [o for o in schedule.overrides if o.active_at(at)]
    stacked: list[tuple[str, str | None]] = []
    for layer in reversed(schedule.layers):
        user = layer.rotation.user_at(at)
        entries: list[tuple[str, str | None]] = []
        if user is not None and layer.covers(at):
            entries.append((user, layer.name))
        entries = _apply(entries, (o for o in active if o.layer == layer.name), layer.name)
        if entries:
            stacked = entries
            break
    return tuple(_apply(stacked, (o for o in active if o.layer is None), None))


def who_is_on_call(schedule: Schedule, at: datetime) -> list[str]:
    """The people on call at ``at``: the winning layer's member, then anyone added."""
    return [user for user, _ in _assignment_at(schedule, _require_aware(at, "at"))]


def _boundaries(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    moments = {start}
    for layer in schedule.layers:
        moments.update(layer.boundaries(start, end))
    for override in schedule.overrides:
        moments.update(edge for edge in (override.start, override.end) if start < edge < end)
    return sorted(moments)


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Shifts in ``[start, end)``, clipped to it, contiguous time merged per (user, layer).

    Ordered by start, then by position in the on-call list. The schedule is piecewise constant
    between hand-offs, window edges and override edges, so it is evaluated once per piece.
    """
    start = _require_aware(start, "start")
    end = _require_aware(end, "end")
    if end <= start:
        return []
    moments = _boundaries(schedule, start, end)
    open_shifts: dict[tuple[str, str | None], tuple[int, datetime, datetime]] = {}
    closed: list[tuple[int, Shift]] = []
    sequence = 0
    for piece_start, piece_end in zip(moments, [*moments[1:], end], strict=True):
        assignment = _assignment_at(schedule, piece_start)
        for key in [k for k in open_shifts if k not in assignment]:
            seq, began, _ = open_shifts.pop(key)
            closed.append((seq, Shift(key[0], began, piece_start, key[1])))
        for key in assignment:
            if key in open_shifts:
                seq, began, _ = open_shifts[key]
                open_shifts[key] = (seq, began, piece_end)
            else:
                open_shifts[key] = (sequence, piece_start, piece_end)
                sequence += 1
    for key, (seq, began, finished) in open_shifts.items():
        closed.append((seq, Shift(key[0], began, finished, key[1])))
    closed.sort(key=lambda item: (item[1].start, item[0]))
    return [shift for _, shift in closed]


def next_shifts(schedule: Schedule, at: datetime, n: int) -> list[Shift]:
    """The ``n`` earliest shifts that end after ``at`` (one in progress starts at ``at``).

    Looks ahead in a doubling horizon up to about two years, so a schedule with fewer than ``n``
    future shifts returns what it has; a shift still running at the horizon is cut there.
    """
    at = _require_aware(at, "at")
    if n <= 0:
        return []
    horizon = _NEXT_SHIFTS_FIRST_HORIZON
    while True:
        found = shifts(schedule, at, at + horizon)
        first = found[:n]
        complete = len(first) == n and all(s.end < at + horizon for s in first)
        if complete or horizon >= _NEXT_SHIFTS_MAX_HORIZON:
            return first
        horizon = min(horizon * 2, _NEXT_SHIFTS_MAX_HORIZON)
