"""ISO weeks (``2026-W49``) as the weekly operational review counts them: Monday 00:00 to the
next Monday 00:00 in a team's time zone, so a review in São Paulo and one in Lisbon each cover
their own week. Pure.

A week that contains a DST change is an hour shorter or longer than 168 h; a Monday whose
midnight a DST change skips starts at that day's first instant (``zoneinfo``'s earlier offset).
The send moment of the review (a weekday and a wall-clock time in the zone) is worked out here
too, with the week it reports on: the last complete week before that moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from plantao.postmortems.business_days import zone

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_PATTERN = re.compile(r"^(\d{4})-W(\d{2})$")


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError:
            raise ValueError(f"{self.year} has no ISO week {self.week}") from None

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    def shifted(self, weeks: int) -> IsoWeek:
        return of_day(self.monday + timedelta(weeks=weeks))

    def bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """The week's start (inclusive) and end (exclusive), in UTC."""
        return local_midnight(self.monday, time_zone), local_midnight(
            self.monday + timedelta(days=7), time_zone
        )

    def days(self) -> tuple[date, date]:
        """Its first and last local dates (Monday and Sunday)."""
        return self.monday, self.monday + timedelta(days=6)


def parse(text: str) -> IsoWeek:
    """``2026-W49`` → the week; a ValueError that says what is wrong otherwise."""
    found = _PATTERN.match(text.strip())
    if found is None:
        raise ValueError(f"'{text[:20]}' is not an ISO week; write it as 2026-W49")
    return IsoWeek(int(found.group(1)), int(found.group(2)))


def of_day(day: date) -> IsoWeek:
    year, week, _ = day.isocalendar()
    return IsoWeek(year, week)


def local_midnight(day: date, time_zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(time_zone)).astimezone(UTC)


def of_moment(moment: datetime, time_zone: str) -> IsoWeek:
    """The week ``moment`` falls in, in that zone."""
    return of_day(moment.astimezone(zone(time_zone)).date())


def last_complete(now: datetime, time_zone: str) -> IsoWeek:
    """The week before the one ``now`` is in: the latest that has ended."""
    return of_moment(now, time_zone).shifted(-1)


@dataclass(frozen=True)
class SendTime:
    """When the review goes out: a weekday (``monday``) and a wall-clock time (``09:00``)."""

    weekday: str = "monday"
    at: time = time(9, 0)

    def __post_init__(self) -> None:
        if self.weekday not in WEEKDAYS:
            raise ValueError(f"unknown weekday '{self.weekday}'; use monday..sunday")


def parse_time(text: str) -> time:
    """``09:00`` → 09:00, ``09:00:30`` → 09:00:30 (seconds are rarely useful to people, but
    let a test or a demo send the review moments from now); a ValueError otherwise."""
    found = re.match(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$", text.strip())
    if found is None:
        raise ValueError(f"'{text[:20]}' is not a time of day; write it as 09:00")
    return time(int(found.group(1)), int(found.group(2)), int(found.group(3) or 0))


def _moment(day: date, send: SendTime, time_zone: str) -> datetime:
    return datetime.combine(day, send.at, tzinfo=zone(time_zone)).astimezone(UTC)


def last_send(now: datetime, send: SendTime, time_zone: str) -> datetime:
    """The latest send moment at or before ``now``."""
    local = now.astimezone(zone(time_zone)).date()
    back = (local.isoweekday() - (WEEKDAYS.index(send.weekday) + 1)) % 7
    moment = _moment(local - timedelta(days=back), send, time_zone)
    if moment > now:
        moment = _moment(local - timedelta(days=back + 7), send, time_zone)
    return moment


def next_send(now: datetime, send: SendTime, time_zone: str) -> datetime:
    """The first send moment strictly after ``now``."""
    local = last_send(now, send, time_zone).astimezone(zone(time_zone)).date()
    return _moment(local + timedelta(days=7), send, time_zone)


def reported_week(send_moment: datetime, time_zone: str) -> IsoWeek:
    """The week a review sent at ``send_moment`` reports on: the last one complete by then."""
    return last_complete(send_moment, time_zone)
