"""When a maintenance window happens, as spans the status page can show and count. Pure.

A one-off window is its own span; a recurring one (``oncall.window_rules.Recurrence``) is one
span per occurrence, computed with the same day rule and DST handling the alert suppression
uses, so the page never announces maintenance the pager would not honour. A window ended early
(``ended``) stops there: its later occurrences are gone.

``status_of`` is what the page says about a span: ``scheduled`` up to ``AHEAD`` before it starts,
``in_progress``, then ``completed`` for ``KEPT`` after it ends.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from plantao.oncall.rotation import resolve_local
from plantao.oncall.window_rules import Recurrence

#: How far ahead scheduled maintenance is shown.
AHEAD = timedelta(days=7)
#: How long completed maintenance stays on the page.
KEPT = timedelta(days=3)
_ANCHOR = date(1970, 1, 5)  # window_rules counts recurring days from this Monday

Span = tuple[datetime, datetime | None]


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _runs_on(rule: Recurrence, day: date) -> bool:
    if (day - _ANCHOR).days % rule.every_days:
        return False
    return rule.weekdays is None or day.weekday() in rule.weekdays


def occurrences(rule: Recurrence, lo: datetime, hi: datetime) -> list[Span]:
    """Occurrences of ``rule`` overlapping ``[lo, hi)``, in order."""
    zone = ZoneInfo(rule.tz)
    first = lo.astimezone(zone).date() - timedelta(days=rule.duration.days + 1)
    last = hi.astimezone(zone).date()
    out: list[Span] = []
    day = first
    while day <= last:
        if _runs_on(rule, day):
            begins = resolve_local(day, rule.start, zone)
            ends = begins + rule.duration
            if begins < hi and ends > lo:
                out.append((begins, ends))
        day += timedelta(days=1)
    return out


def spans(
    start: datetime | None,
    end: datetime | None,
    rule: Recurrence | None,
    ended: datetime | None,
    lo: datetime,
    hi: datetime,
) -> list[Span]:
    """The spans of one window overlapping ``[lo, hi)``; ``end`` None: no planned end."""
    lo, hi = _utc(lo), _utc(hi)
    stop = None if ended is None else _utc(ended)
    if rule is not None:
        found = occurrences(rule, lo, hi if stop is None else min(hi, stop))
        if stop is None:
            return found
        return [(s, e if e is None or e <= stop else stop) for s, e in found if s < stop]
    begins = lo if start is None else _utc(start)
    ends = None if end is None else _utc(end)
    if stop is not None and (ends is None or stop < ends):
        ends = stop
    if begins >= hi or (ends is not None and ends <= lo) or (ends is not None and ends <= begins):
        return []
    return [(begins, ends)]


def status_of(span: Span, now: datetime) -> str | None:
    """``scheduled``, ``in_progress``, ``completed`` or None (too far ahead or too long ago)."""
    start, end = span
    if now < start:
        return "scheduled" if start - now <= AHEAD else None
    if end is None or now < end:
        return "in_progress"
    return "completed" if now - end <= KEPT else None


def shown(window_spans: list[Span], now: datetime) -> tuple[Span, str] | None:
    """The one span a page shows for a window: the one in progress, else the next one ahead,
    else the last completed one."""
    now = _utc(now)
    ranked: list[tuple[int, Span, str]] = []
    for span in window_spans:
        status = status_of(span, now)
        if status is not None:
            ranked.append((("in_progress", "scheduled", "completed").index(status), span, status))
    if not ranked:
        return None
    best = min(r[0] for r in ranked)
    candidates = [r for r in ranked if r[0] == best]
    pick = candidates[-1] if best == 2 else candidates[0]  # latest completed, soonest ahead
    return pick[1], pick[2]
