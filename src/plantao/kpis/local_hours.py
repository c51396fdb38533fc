"""When a page reached a person, in *their* day: at night, in working hours, or neither. Pure.

Why per person and not per team: on-call load is about sleep and evenings, and a team spread
over São Paulo and Lisbon has no single clock. An instant is converted to the person's own time
zone with ``zoneinfo`` (so DST changes are exact: the repeated 01:30 of a fall-back night is
night both times, the skipped hour of a spring-forward night never happens), then:

* **night** is 22:00 up to 07:00 local time, whatever the day; a page at night is
  *sleep-interrupting*;
* **working hours** are 09:00 up to 18:00 local time on a working day of the calendar (the
  team's business calendar: its working weekdays and holidays; Monday to Friday without
  holidays when there is none). Holidays and weekdays are read on the person's local date;
* everything else (evenings, early mornings, weekends, holidays) is **outside working hours**,
  and so is the night.

Bounds are inclusive at the start and exclusive at the end (09:00 is working, 18:00 is not;
22:00 is night, 07:00 is not), so every instant falls in exactly one slot of the day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from plantao.postmortems.business_days import Calendar, zone

#: The bounds, in whole local hours: every slot changes on the hour, so the hour decides.
NIGHT_STARTS, NIGHT_ENDS = 22, 7
WORK_STARTS, WORK_ENDS = 9, 18
#: The time zone a person is read in when theirs is not a known IANA name (never guess one).
FALLBACK_ZONE = "UTC"


@dataclass(frozen=True)
class LocalHours:
    """One instant as the person lived it."""

    local: datetime
    night: bool
    working: bool

    @property
    def outside_working(self) -> bool:
        return not self.working

    @property
    def sleep_interrupting(self) -> bool:
        """A page at night wakes someone up (or keeps them from sleeping)."""
        return self.night


@lru_cache(maxsize=256)
def person_zone(name: str | None) -> ZoneInfo:
    """The person's zone, or UTC when the stored name is empty or unknown to this system."""
    try:
        return zone(name or FALLBACK_ZONE)
    except ValueError:
        return zone(FALLBACK_ZONE)


def classify(moment: datetime, time_zone: str | None, calendar: Calendar) -> LocalHours:
    """Classify the UTC-aware ``moment`` for a person living in ``time_zone``."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    local = moment.astimezone(person_zone(time_zone))
    night, working = slots_of(local, calendar)
    return LocalHours(local=local, night=night, working=working)


def slots(moment: datetime, zone: ZoneInfo, calendar: Calendar) -> tuple[bool, bool]:
    """``(night, working)`` of an aware ``moment`` for a person in ``zone``: the bulk form of
    :func:`classify` (no object per page) for a year of pages."""
    return slots_of(moment.astimezone(zone), calendar)


def slots_of(local: datetime, calendar: Calendar) -> tuple[bool, bool]:
    hour = local.hour
    night = hour >= NIGHT_STARTS or hour < NIGHT_ENDS
    working = WORK_STARTS <= hour < WORK_ENDS and calendar.is_working_day(local.date())
    return night, working
