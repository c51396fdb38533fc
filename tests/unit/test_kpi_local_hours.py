"""Night and working hours in the paged person's own time zone, across DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from plantao.kpis.local_hours import classify, person_zone
from plantao.postmortems.business_days import Calendar

MON_FRI = Calendar()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _slots(text: str, zone: str, calendar: Calendar = MON_FRI) -> tuple[bool, bool]:
    hours = classify(_at(text), zone, calendar)
    return hours.night, hours.working


@pytest.mark.parametrize(
    ("utc", "night", "working"),
    [
        ("2026-12-02T01:30", True, False),  # Tue 22:30 local: night
        ("2026-12-02T09:59", True, False),  # Wed 06:59: still night
        ("2026-12-02T10:00", False, False),  # Wed 07:00: morning, not yet working
        ("2026-12-02T12:00", False, True),  # Wed 09:00: working starts
        ("2026-12-02T20:59", False, True),  # Wed 17:59: still working
        ("2026-12-02T21:00", False, False),  # Wed 18:00: evening
        ("2026-12-03T00:59", False, False),  # Wed 21:59: evening
        ("2026-12-03T01:00", True, False),  # Wed 22:00: night starts
        ("2026-12-05T15:00", False, False),  # Saturday noon: a weekend
    ],
)
def test_sao_paulo_is_utc_minus_three_all_year(utc: str, night: bool, working: bool) -> None:
    """São Paulo has no DST: bounds at 07/09/18/22 local fall at 10/12/21/01 UTC."""
    assert _slots(utc, "America/Sao_Paulo") == (night, working)


def test_local_date_decides_the_weekday_not_the_utc_date() -> None:
    """Saturday 01:30 UTC is Friday 22:30 in São Paulo: a Friday night, not a Saturday."""
    hours = classify(_at("2026-12-05T01:30"), "America/Sao_Paulo", MON_FRI)
    assert hours.local.date() == date(2026, 12, 4)
    assert hours.night and hours.sleep_interrupting and hours.outside_working


def test_holidays_and_working_days_come_from_the_calendar() -> None:
    """Christmas in the calendar is not a working day; a Saturday is when the team works it."""
    christmas = Calendar("America/Sao_Paulo", holidays=frozenset({date(2026, 12, 25)}))
    assert _slots("2026-12-25T15:00", "America/Sao_Paulo", MON_FRI) == (False, True)
    assert _slots("2026-12-25T15:00", "America/Sao_Paulo", christmas) == (False, False)
    saturdays = Calendar(workdays=frozenset({2, 3, 4, 5, 6}))
    assert _slots("2026-12-05T15:00", "America/Sao_Paulo", saturdays) == (False, True)
    assert _slots("2026-12-07T15:00", "America/Sao_Paulo", saturdays) == (False, False)


def test_holiday_is_read_on_the_persons_local_date() -> None:
    """20:30 UTC on 24 Dec is already 25 Dec 09:30 in Auckland: a holiday there, not working."""
    christmas = Calendar(holidays=frozenset({date(2026, 12, 25)}))
    hours = classify(_at("2026-12-24T20:30"), "Pacific/Auckland", christmas)
    assert hours.local.date() == date(2026, 12, 25)
    assert not hours.working


@pytest.mark.parametrize(
    ("utc", "local_hour", "night", "working"),
    [
        ("2026-03-06T11:30", 6, True, False),  # Fri 06:30 EST
        ("2026-03-09T11:30", 7, False, False),  # Mon 07:30 EDT: same UTC time, no longer night
        ("2026-03-06T13:30", 8, False, False),  # Fri 08:30 EST
        ("2026-03-09T13:30", 9, False, True),  # Mon 09:30 EDT: same UTC time, now working
        ("2026-03-08T06:59", 1, True, False),  # 01:59 EST, a minute before the jump
        ("2026-03-08T07:00", 3, True, False),  # 03:00 EDT: 02:xx never happened
    ],
)
def test_new_york_spring_forward(utc: str, local_hour: int, night: bool, working: bool) -> None:
    """After 8 Mar 2026 New York is UTC-4: the same UTC instants move an hour later locally."""
    hours = classify(_at(utc), "America/New_York", MON_FRI)
    assert (hours.local.hour, hours.night, hours.working) == (local_hour, night, working)


def test_new_york_fall_back_night_has_two_0130s_and_both_are_night() -> None:
    """On 1 Nov 2026 01:30 happens twice (EDT, then EST): each page at 01:30 is a night page."""
    first = classify(_at("2026-11-01T05:30"), "America/New_York", MON_FRI)
    second = classify(_at("2026-11-01T06:30"), "America/New_York", MON_FRI)
    assert (first.local.hour, first.local.minute) == (second.local.hour, second.local.minute)
    assert first.local.utcoffset() != second.local.utcoffset()
    assert first.night and second.night
    assert first.sleep_interrupting and second.sleep_interrupting


@pytest.mark.parametrize(
    ("utc", "night", "working"),
    [
        ("2026-10-30T13:30", False, True),  # Fri 09:30 EDT
        ("2026-11-02T13:30", False, False),  # Mon 08:30 EST
        ("2026-11-02T22:30", False, True),  # Mon 17:30 EST
        ("2026-11-02T23:00", False, False),  # Mon 18:00 EST
        ("2026-11-03T02:59", False, False),  # Mon 21:59 EST
        ("2026-11-03T03:00", True, False),  # Mon 22:00 EST
    ],
)
def test_new_york_after_fall_back(utc: str, night: bool, working: bool) -> None:
    """After 1 Nov 2026 New York is UTC-5: working hours are 14:00-23:00 UTC."""
    assert _slots(utc, "America/New_York") == (night, working)


@pytest.mark.parametrize(
    ("utc", "night", "working"),
    [
        ("2026-03-27T21:30", False, False),  # Fri 21:30 WET: evening
        ("2026-03-30T21:30", True, False),  # Mon 22:30 WEST: same UTC time, night
        ("2026-03-29T00:59", True, False),  # 00:59 WET, before the jump
        ("2026-03-29T01:00", True, False),  # 02:00 WEST
        ("2026-10-25T00:30", True, False),  # 01:30 WEST, first time
        ("2026-10-25T01:30", True, False),  # 01:30 WET, second time
        ("2026-10-23T08:30", False, True),  # Fri 09:30 WEST
        ("2026-10-26T08:30", False, False),  # Mon 08:30 WET
    ],
)
def test_lisbon_across_both_changes(utc: str, night: bool, working: bool) -> None:
    """Lisbon is UTC+0 in winter and UTC+1 in summer (29 Mar to 25 Oct 2026)."""
    assert _slots(utc, "Europe/Lisbon") == (night, working)


def test_unknown_or_empty_zone_is_read_as_utc() -> None:
    """A stored zone name this system does not know is read as UTC, not guessed."""
    assert person_zone("Mars/Olympus_Mons").key == "UTC"
    assert person_zone(None).key == "UTC"
    assert _slots("2026-12-02T23:30", "Mars/Olympus_Mons") == (True, False)
    assert _slots("2026-12-02T10:00", "") == (False, True)


def test_naive_instant_is_refused() -> None:
    """An instant without a zone is a programming error: it cannot be placed in anyone's day."""
    with pytest.raises(ValueError, match="timezone-aware"):
        classify(datetime(2026, 12, 2, 1, 30), "UTC", MON_FRI)
