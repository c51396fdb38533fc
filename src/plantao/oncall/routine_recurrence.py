"""When a recurring operational routine falls due (seed 003 §7.1–7.4): pure, no database.

A rule is a wall-clock time in a time zone on the days it names: every day (``daily``), one
weekday (``weekly``), one day of the month (``monthly``) or of the first month of each quarter
(``quarterly``: January, April, July, October). Why wall-clock and not a fixed UTC interval:
"the daily alert review at 09:00 in São Paulo" must stay at 09:00 for the people doing it when
their clocks change, so the interval between two occurrences is 23 or 25 hours across DST.

Edges, the same as the rotations' (``rotation.resolve_local``): a time that does not exist on a
spring-forward day moves forward by the gap (02:30 → 03:30); a time that happens twice on a
fall-back day is its first occurrence. A day of month past the month's end is its last day
(31 → 30 April, 28/29 February), so a monthly rule never skips a month.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plantao.oncall.rotation import resolve_local

Every = Literal["daily", "weekly", "monthly", "quarterly"]
EVERY: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly")
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_QUARTER_MONTHS = frozenset({1, 4, 7, 10})
#: How far to look for an occurrence on each side of an instant: more than one quarter.
_SEARCH = timedelta(days=100)


@dataclass(frozen=True)
class Recurrence:
    """A validated rule; build it with :func:`from_dict` from what the config or API stored."""

    every: Every
    at: time
    time_zone: str
    weekday: int = 0  # Monday; weekly only
    day: int = 1  # day of month; monthly and quarterly only

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "every": self.every,
            "at": self.at.strftime("%H:%M:%S" if self.at.second else "%H:%M"),
            "time_zone": self.time_zone,
        }
        if self.every == "weekly":
            out["weekday"] = WEEKDAYS[self.weekday]
        if self.every in ("monthly", "quarterly"):
            out["day"] = self.day
        return out


def from_dict(data: dict[str, Any]) -> Recurrence:
    """Read a stored rule; raises ``ValueError`` with a message naming the bad field."""
    every = str(data.get("every", "")).strip().lower()
    if every not in EVERY:
        raise ValueError(f"every: one of {', '.join(EVERY)}")
    at_text = str(data.get("at", "09:00")).strip()
    try:
        at = time.fromisoformat(at_text)
    except ValueError:
        raise ValueError(f"at: {at_text!r} is not a time of day (HH:MM)") from None
    if at.tzinfo is not None:
        raise ValueError("at: a wall-clock time without a zone (the zone is time_zone)")
    zone = str(data.get("time_zone", "UTC")).strip()
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"time_zone: unknown time zone {zone!r}") from None
    weekday = 0
    if every == "weekly":
        name = str(data.get("weekday", "monday")).strip().lower()
        if name not in WEEKDAYS:
            raise ValueError(f"weekday: {name!r} is not a weekday name")
        weekday = WEEKDAYS.index(name)
    day = 1
    if every in ("monthly", "quarterly"):
        raw = data.get("day", 1)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 31:
            raise ValueError("day: a day of the month from 1 to 31")
        day = raw
    return Recurrence(every, at, zone, weekday, day)  # type: ignore[arg-type]


def _falls_on(rule: Recurrence, day: date) -> bool:
    if rule.every == "daily":
        return True
    if rule.every == "weekly":
        return day.weekday() == rule.weekday
    if rule.every == "quarterly" and day.month not in _QUARTER_MONTHS:
        return False
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(rule.day, last)


def _occurrences(rule: Recurrence, first: date, last: date) -> list[datetime]:
    """Every occurrence (UTC) on the local days ``first``..``last``, in order."""
    tz = ZoneInfo(rule.time_zone)
    found: list[datetime] = []
    day = first
    while day <= last:
        if _falls_on(rule, day):
            found.append(resolve_local(day, rule.at, tz))
        day += timedelta(days=1)
    return found


def _local_day(rule: Recurrence, moment: datetime) -> date:
    if moment.tzinfo is None:
        raise ValueError("the instant must be timezone-aware")
    return moment.astimezone(ZoneInfo(rule.time_zone)).date()


def latest_at_or_before(rule: Recurrence, moment: datetime) -> datetime:
    """The last occurrence not after ``moment`` (the one whose task is due now)."""
    today = _local_day(rule, moment)
    found = [
        o for o in _occurrences(rule, today - _SEARCH, today + timedelta(days=1)) if o <= moment
    ]
    return found[-1]


def next_after(rule: Recurrence, moment: datetime) -> datetime:
    """The first occurrence strictly after ``moment`` (shown as "next due")."""
    today = _local_day(rule, moment)
    found = [
        o for o in _occurrences(rule, today - timedelta(days=1), today + _SEARCH) if o > moment
    ]
    return found[0].astimezone(UTC)
