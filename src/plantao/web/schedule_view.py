"""What the on-call pages show about a schedule: who is on call now (until when), who comes
next (from when), and a two-week timeline with one row per layer plus the final result.

Everything is computed from the pure schedule maths (:mod:`plantao.oncall.rotation`), the same
code that decides whom an escalation pages, so the page cannot disagree with the pager. The
timeline is geometry only (percent offsets and widths for an inline SVG, colour classes per
person); the template draws it and the stylesheet colours it, since the page's CSP forbids
``style=`` attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from plantao.oncall import rotation
from plantao.oncall.rotation import Schedule, Shift
from plantao.web.oncall_times import Moment, moment

SPAN = timedelta(days=14)
COLOURS = 8
LOOKAHEAD = timedelta(days=90)


@dataclass(frozen=True)
class Person:
    user: str
    until: Moment | None = None


@dataclass(frozen=True)
class NowAndNext:
    now: list[Person]
    next: list[str]
    next_from: Moment | None


def now_and_next(schedule: Schedule, at: datetime, tz: ZoneInfo) -> NowAndNext:
    """Who is on call at ``at`` and until when (their contiguous time, across layers), and who
    is on call after the next change. A shift still running at the look-ahead horizon has no
    end shown: cutting it there would print a hand-off that is not planned."""
    horizon = at + LOOKAHEAD
    ahead = rotation.shifts(schedule, at, horizon)
    current = rotation.who_is_on_call(schedule, at)
    people = []
    for user in current:
        end = at
        for shift in sorted((s for s in ahead if s.user == user), key=lambda s: s.start):
            if shift.start <= end < shift.end:
                end = shift.end
        people.append(Person(user, moment(end, tz) if at < end < horizon else None))
    changes = sorted({s.start for s in ahead} | {s.end for s in ahead if s.end < horizon})
    if not ahead:  # nobody for a while: look further for the first shift, as the pager would
        changes = [s.start for s in rotation.next_shifts(schedule, at, 1)]
    for change in changes:
        after = rotation.who_is_on_call(schedule, change)
        if change > at and after != current:
            return NowAndNext(people, after, moment(change, tz))
    return NowAndNext(people, [], None)


@dataclass(frozen=True)
class Block:
    user: str
    colour: str
    x: float
    width: float
    lane: int
    start: Moment
    end: Moment


@dataclass(frozen=True)
class Row:
    label: str
    final: bool
    blocks: list[Block]
    lanes: int


@dataclass(frozen=True)
class Day:
    x: float
    weekday: int
    number: int
    even: bool


@dataclass(frozen=True)
class Timeline:
    start: Moment
    end: Moment
    rows: list[Row]
    days: list[Day]
    now_x: float | None
    shifts: list[tuple[str, str | None, Moment, Moment]]


def _pct(at: datetime, start: datetime, end: datetime) -> float:
    return round(100 * (at - start) / (end - start), 3)


def _lanes(shifts: list[Shift]) -> list[int]:
    """The first free lane for each shift, so overlapping shifts (an added person) stack."""
    ends: list[datetime] = []
    lanes = []
    for shift in shifts:
        lane = next((i for i, end in enumerate(ends) if end <= shift.start), len(ends))
        if lane == len(ends):
            ends.append(shift.end)
        else:
            ends[lane] = shift.end
        lanes.append(lane)
    return lanes


def _row(
    label: str,
    final: bool,
    found: list[Shift],
    span: tuple[datetime, datetime],
    colour: dict[str, str],
    tz: ZoneInfo,
) -> Row:
    start, end = span
    lanes = _lanes(found)
    blocks = [
        Block(
            user=s.user,
            colour=colour.get(s.user, "p0"),
            x=_pct(s.start, start, end),
            width=max(_pct(s.end, start, end) - _pct(s.start, start, end), 0.2),
            lane=lane,
            start=moment(s.start, tz),
            end=moment(s.end, tz),
        )
        for s, lane in zip(found, lanes, strict=True)
    ]
    return Row(label, final, blocks, max(lanes, default=0) + 1)


def colours(schedule: Schedule) -> dict[str, str]:
    """A stable colour class per person: rotation order first, then override people."""
    people: list[str] = []
    for layer in schedule.layers:
        people += [p for p in layer.rotation.participants if p not in people]
    for override in schedule.overrides:
        people += [p for p in (override.user,) if p is not None and p not in people]
    return {p: f"p{i % COLOURS}" for i, p in enumerate(people)}


def timeline(schedule: Schedule, start: datetime, now: datetime, tz: ZoneInfo) -> Timeline:
    """Rows for each layer alone (with its own overrides) and the final schedule, over
    ``[start, start + 14 days)``; ``start`` is a local midnight of the viewer."""
    end = start + SPAN
    colour = colours(schedule)
    rows = []
    for layer in schedule.layers:
        alone = replace(
            schedule,
            layers=(layer,),
            overrides=tuple(o for o in schedule.overrides if o.layer == layer.name),
        )
        found = rotation.shifts(alone, start, end)
        rows.append(_row(layer.name, False, found, (start, end), colour, tz))
    final = rotation.shifts(schedule, start, end)
    rows.append(_row("", True, final, (start, end), colour, tz))
    days = []
    local = start.astimezone(tz)
    for index in range(SPAN.days):
        day = (local + timedelta(days=index)).date()
        midnight = rotation.resolve_local(day, datetime.min.time(), tz)
        days.append(Day(_pct(midnight, start, end), day.weekday(), day.day, index % 2 == 0))
    return Timeline(
        start=moment(start, tz),
        end=moment(end, tz),
        rows=rows,
        days=days,
        now_x=_pct(now, start, end) if start <= now < end else None,
        shifts=[(s.user, s.layer, moment(s.start, tz), moment(s.end, tz)) for s in final],
    )
