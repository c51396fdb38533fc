"""A component's 90-day uptime bars from its status history. Pure: the intervals come from
``statuspage.uptime_gather``; this only counts minutes, so it is tested with a scripted history.

The rule is Atlassian Statuspage's: a day's uptime is

    1 − (major_outage minutes + 0.3 × partial_outage minutes) / minutes of the day observed

Degraded performance and maintenance are shown on the bar but do not count as down: the service
answered, or the downtime was announced ahead. A day is observed from midnight UTC (or from the
component's creation, when it was created that day) to the next midnight (or to ``now`` for
today); days wholly before the creation have nothing observed, show 1.0 and weigh nothing in the
90-day share. Overlapping intervals (two incidents on one component, an incident during
maintenance) take the worst status at each moment, the order a page shows them in
(``page_view.STATUS_ORDER``). The 90-day share is the same formula over every observed minute of
the window, so a short day weighs less than a whole one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

from plantao.statuspage.page_view import DayUptime, worst

DAYS = 90
#: How much a partial outage minute counts as down (Atlassian's weight).
PARTIAL_WEIGHT = 0.3
_KINDS = {
    "major_outage": "major",
    "partial_outage": "partial",
    "degraded_performance": "degraded",
    "under_maintenance": "maintenance",
}


@dataclass(frozen=True)
class Interval:
    """A status a component had from ``start`` to ``end`` (None: still has it), and the public
    incident that gave it (None: a maintenance window)."""

    start: datetime
    end: datetime | None
    status: str
    incident_id: int | None = None


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _first_day(now: datetime, days: int) -> date:
    return _utc(now).date() - timedelta(days=days - 1)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _uptime(major: float, partial: float, observed: float) -> float:
    if observed <= 0:
        return 1.0
    return max(0.0, 1.0 - (major + PARTIAL_WEIGHT * partial) / observed)


@dataclass
class _Day:
    observed: float = 0.0
    major: float = 0.0
    partial: float = 0.0
    degraded: float = 0.0
    maintenance: float = 0.0


def _clipped(
    intervals: Iterable[Interval], lo: datetime, hi: datetime
) -> list[tuple[datetime, datetime, str, int | None]]:
    out = []
    for it in intervals:
        if it.status not in _KINDS:
            continue
        start = max(_utc(it.start), lo)
        end = min(hi if it.end is None else _utc(it.end), hi)
        if start < end:
            out.append((start, end, it.status, it.incident_id))
    return out


def bars(
    intervals: Iterable[Interval],
    now: datetime,
    created_at: datetime,
    *,
    days: int = DAYS,
) -> tuple[tuple[DayUptime, ...], float]:
    """The last ``days`` UTC days (oldest first, today last) and the window's uptime share."""
    now = _utc(now)
    first = _first_day(now, days)
    lo = max(_day_start(first), min(_utc(created_at), now))
    spans = _clipped(intervals, lo, now)
    tally = [_Day() for _ in range(days)]
    touched: list[set[int]] = [set() for _ in range(days)]
    for index in range(days):
        start = max(_day_start(first + timedelta(days=index)), lo)
        end = min(_day_start(first + timedelta(days=index + 1)), now)
        if start < end:
            tally[index].observed = (end - start).total_seconds() / 60
    # A sweep over every boundary: between two, the worst status of the spans covering it.
    cuts = sorted(
        {lo, now}
        | {s for s, _, _, _ in spans}
        | {e for _, e, _, _ in spans}
        | {_day_start(first + timedelta(days=i)) for i in range(1, days)}
    )
    for left, right in pairwise(cuts):
        if not lo <= left < right <= now:
            continue
        covering = [st for s, e, st, _ in spans if s <= left and right <= e]
        if not covering:
            continue
        index = (left.date() - first).days
        minutes = (right - left).total_seconds() / 60
        day = tally[index]
        kind = _KINDS[worst(covering)]
        setattr(day, kind, getattr(day, kind) + minutes)
    for s, e, _, incident in spans:
        if incident is None:
            continue
        for index in range((s.date() - first).days, (e.date() - first).days + 1):
            if 0 <= index < days and _day_start(first + timedelta(days=index)) < e:
                touched[index].add(incident)
    out = tuple(
        DayUptime(
            day=first + timedelta(days=i),
            uptime=_uptime(d.major, d.partial, d.observed),
            major_minutes=round(d.major),
            partial_minutes=round(d.partial),
            degraded_minutes=round(d.degraded),
            maintenance_minutes=round(d.maintenance),
            incidents=tuple(sorted(touched[i])),
        )
        for i, d in enumerate(tally)
    )
    share = _uptime(
        sum(d.major for d in tally),
        sum(d.partial for d in tally),
        sum(d.observed for d in tally),
    )
    return out, share


def window_start(now: datetime, days: int = DAYS) -> datetime:
    """Midnight UTC of the first day of the window: older history does not count."""
    return _day_start(_first_day(now, days))
