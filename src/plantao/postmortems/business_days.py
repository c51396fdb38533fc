"""RCA windows counted in a team's business days (seed 002: Sev2 3 business days, Sev3 5),
in the team's time zone, skipping its weekends and holidays. Pure.

The rule: *N business days after a moment* is the same wall-clock time, in the calendar's time
zone, on the N-th working day after that moment's local date — a Sev2 resolved on Friday at
17:00 in São Paulo is due on Wednesday at 17:00 there. A moment on a weekend or holiday counts
from the next working days just the same (Saturday 10:00 + 3 → Wednesday 10:00). Wall-clock
times that a DST change skips or repeats resolve as ``zoneinfo`` does (the earlier offset).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The most business days a window may span: stops a calendar with no working day looping.
MAX_DAYS = 366 * 3

WORKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Calendar:
    """Working days are ISO weekdays (1 = Monday … 7 = Sunday)."""

    time_zone: str = "UTC"
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        zone(self.time_zone)
        if not self.workdays or not self.workdays <= set(range(1, 8)):
            raise ValueError("working days must be a non-empty set of ISO weekdays 1..7")

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.workdays and day not in self.holidays


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``, or a ValueError that names it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone '{name}'; use an IANA name such as America/Sao_Paulo"
        ) from None


def parse_workdays(text: str) -> frozenset[int]:
    """``12345`` or ``mon,tue,wed,thu,fri`` → ISO weekdays."""
    text = text.strip().lower()
    if text.isdigit():
        days = {int(c) for c in text}
    else:
        words = [p.strip() for p in text.split(",") if p.strip()]
        unknown = [w for w in words if w not in WORKDAY_NAMES and w not in _FULL_NAMES]
        if unknown:
            raise ValueError(f"unknown weekday '{unknown[0][:20]}'; use mon..sun")
        days = {WORKDAY_NAMES.index(w[:3]) + 1 for w in words}
    if not days or not days <= set(range(1, 8)):
        raise ValueError("working days must name at least one weekday (1..7 or mon..sun)")
    return frozenset(days)


def workdays_text(days: Iterable[int]) -> str:
    return "".join(str(d) for d in sorted(set(days)))


def add_business_days(since: datetime, days: int, calendar: Calendar) -> datetime:
    """``since`` plus ``days`` business days of ``calendar`` (see the module docstring), UTC."""
    if since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    if days < 0:
        raise ValueError("days must be zero or more")
    tz = zone(calendar.time_zone)
    if days == 0:
        return since.astimezone(UTC)
    local = since.astimezone(tz)
    day = local.date()
    left = days
    steps = 0
    while left > 0:
        day += timedelta(days=1)
        steps += 1
        if steps > MAX_DAYS:
            raise ValueError("the calendar has no working day in three years")
        if calendar.is_working_day(day):
            left -= 1
    wall = datetime.combine(day, local.time().replace(tzinfo=None, fold=0), tzinfo=tz)
    return wall.astimezone(UTC)


def window_end(
    since: datetime,
    *,
    hours: int | None,
    business_days: int | None,
    calendar: Calendar,
) -> datetime | None:
    """When an RCA window starting at ``since`` ends: clock hours win (Sev1's 48 h are
    wall-clock), then business days; None when the severity has no window (Sev4: optional)."""
    if hours is not None:
        return since.astimezone(UTC) + timedelta(hours=hours)
    if business_days is not None:
        return add_business_days(since, business_days, calendar)
    return None
