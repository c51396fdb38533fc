"""RCA windows in business days: weekends, holidays, custom working days, time zones and DST."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plantao import clock
from plantao.postmortems.business_days import (
    Calendar,
    add_business_days,
    parse_workdays,
    window_end,
    workdays_text,
    zone,
)

SAO_PAULO = "America/Sao_Paulo"
BRAZIL = Calendar(
    SAO_PAULO,
    holidays=frozenset({date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)}),
)
EVERY_DAY = frozenset(range(1, 8))


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[datetime]:
    """Nothing here reads the clock; frozen so a test that did would be deterministic."""
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    yield start
    clock.unfreeze()


def at(zone_name: str, *args: int, fold: int = 0) -> datetime:
    year, month, day, hour, minute = args
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone_name), fold=fold)


def test_friday_evening_plus_three_is_wednesday_same_wall_clock() -> None:
    """A Sev2 resolved Friday 17:00 in São Paulo is due Wednesday 17:00 there."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 4, 17, 0), 3, BRAZIL)
    assert due == datetime(2026, 12, 9, 20, 0, tzinfo=UTC)


def test_result_is_utc() -> None:
    """The due time comes back in UTC, as the database stores it."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 4, 17, 0), 1, BRAZIL)
    assert due.tzinfo == UTC


def test_weekend_moment_counts_from_next_working_days() -> None:
    """Saturday 10:00 plus 3 business days is Wednesday 10:00."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 5, 10, 0), 3, BRAZIL)
    assert due == at(SAO_PAULO, 2026, 12, 9, 10, 0)


def test_holiday_in_the_window_is_skipped() -> None:
    """Christmas (a Friday) does not count: Thursday 24th + 3 is Wednesday 30th."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 24, 10, 0), 3, BRAZIL)
    assert due == at(SAO_PAULO, 2026, 12, 30, 10, 0)


def test_consecutive_holidays_and_year_end_are_skipped() -> None:
    """31 Dec and 1 Jan off: Wednesday 30th + 3 is Wednesday 6 January."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 30, 9, 30), 3, BRAZIL)
    assert due == at(SAO_PAULO, 2027, 1, 6, 9, 30)


def test_moment_on_a_holiday_counts_from_next_working_day() -> None:
    """Resolved on Christmas Day: one business day later is Monday the 28th."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 25, 10, 0), 1, BRAZIL)
    assert due == at(SAO_PAULO, 2026, 12, 28, 10, 0)


def test_holidays_of_another_calendar_do_not_apply() -> None:
    """Without Brazil's holidays, Thursday 24th + 3 is Tuesday 29th."""
    due = add_business_days(at(SAO_PAULO, 2026, 12, 24, 10, 0), 3, Calendar(SAO_PAULO))
    assert due == at(SAO_PAULO, 2026, 12, 29, 10, 0)


def test_custom_workdays_sunday_to_thursday() -> None:
    """A Sunday–Thursday week: Thursday + 1 is Sunday."""
    calendar = Calendar("UTC", workdays=parse_workdays("sun,mon,tue,wed,thu"))
    due = add_business_days(datetime(2026, 12, 3, 8, 0, tzinfo=UTC), 1, calendar)
    assert due == datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def test_every_day_a_workday_counts_calendar_days() -> None:
    """With seven working days, 3 business days are 3 calendar days."""
    since = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert add_business_days(since, 3, Calendar(workdays=EVERY_DAY)) == since + timedelta(days=3)


def test_local_date_decides_the_day_in_tokyo() -> None:
    """Friday 16:00 UTC is already Saturday 01:00 in Tokyo: +1 is Monday 01:00 there."""
    due = add_business_days(datetime(2026, 12, 4, 16, 0, tzinfo=UTC), 1, Calendar("Asia/Tokyo"))
    assert due == at("Asia/Tokyo", 2026, 12, 7, 1, 0)
    assert due == datetime(2026, 12, 6, 16, 0, tzinfo=UTC)


def test_same_instant_differs_by_zone() -> None:
    """The same UTC instant (Friday 16:00) gives Monday in UTC but Monday 01:00 JST earlier."""
    since = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    in_utc = add_business_days(since, 1, Calendar("UTC"))
    in_tokyo = add_business_days(since, 1, Calendar("Asia/Tokyo"))
    assert in_utc == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert in_tokyo < in_utc


def test_us_spring_forward_keeps_wall_clock() -> None:
    """Across New York's DST start (8 March 2026) 10:00 stays 10:00: one hour less in UTC."""
    since = at("America/New_York", 2026, 3, 6, 10, 0)
    due = add_business_days(since, 1, Calendar("America/New_York"))
    assert due == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert due - since == timedelta(days=3, hours=-1)


def test_europe_fall_back_keeps_wall_clock() -> None:
    """Across Lisbon's DST end (25 October 2026) 17:00 stays 17:00: one hour more in UTC."""
    since = at("Europe/Lisbon", 2026, 10, 23, 17, 0)
    due = add_business_days(since, 1, Calendar("Europe/Lisbon"))
    assert due == datetime(2026, 10, 26, 17, 0, tzinfo=UTC)
    assert due - since == timedelta(days=3, hours=1)


def test_skipped_wall_clock_resolves_to_earlier_offset() -> None:
    """02:30 does not exist on 8 March 2026 in New York: it resolves with EST (07:30 UTC)."""
    calendar = Calendar("America/New_York", workdays=EVERY_DAY)
    due = add_business_days(at("America/New_York", 2026, 3, 7, 2, 30), 1, calendar)
    assert due == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_repeated_wall_clock_resolves_to_earlier_offset() -> None:
    """01:30 happens twice on 25 October 2026 in Lisbon: the first one (WEST) is taken."""
    calendar = Calendar("Europe/Lisbon", workdays=EVERY_DAY)
    due = add_business_days(at("Europe/Lisbon", 2026, 10, 24, 1, 30), 1, calendar)
    assert due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_later_fold_of_a_moment_does_not_leak_into_another_day() -> None:
    """A moment in the repeated hour's second pass still lands at the earlier offset later."""
    calendar = Calendar("Europe/Lisbon", workdays=EVERY_DAY)
    since = at("Europe/Lisbon", 2026, 10, 25, 1, 30, fold=1)
    assert since.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    due = add_business_days(since, 1, calendar)
    assert due == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)


def test_zero_days_is_the_moment_itself() -> None:
    """Zero business days is the moment itself, even inside a repeated hour."""
    since = at("Europe/Lisbon", 2026, 10, 25, 1, 30, fold=1)
    due = add_business_days(since, 0, Calendar("Europe/Lisbon"))
    assert due == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # the second 01:30 (WET)


def test_window_end_hours_are_wall_clock_and_ignore_the_calendar() -> None:
    """Sev1's 48 h are clock hours: Friday 17:00 + 48 h is Sunday 17:00 even off work."""
    since = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    end = window_end(since, hours=48, business_days=3, calendar=BRAZIL)
    assert end == datetime(2026, 12, 6, 17, 0, tzinfo=UTC)


def test_window_end_business_days() -> None:
    """Without hours the window is counted in business days of the calendar."""
    end = window_end(
        at(SAO_PAULO, 2026, 12, 4, 17, 0), hours=None, business_days=5, calendar=BRAZIL
    )
    assert end == at(SAO_PAULO, 2026, 12, 11, 17, 0)


def test_window_end_none_when_no_window() -> None:
    """A severity with no RCA window (Sev4: optional) has no due time."""
    since = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert window_end(since, hours=None, business_days=None, calendar=BRAZIL) is None


def test_naive_moment_is_refused() -> None:
    """A moment without a time zone is an error, never a guess."""
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_days(datetime(2026, 12, 4, 17, 0), 1, BRAZIL)


def test_negative_days_refused() -> None:
    """A negative window is an error."""
    with pytest.raises(ValueError, match="zero or more"):
        add_business_days(datetime(2026, 12, 4, tzinfo=UTC), -1, BRAZIL)


def test_unknown_time_zone_named_in_error() -> None:
    """An unknown zone is refused with its name and an example of a good one."""
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Calendar("Mars/Olympus")
    with pytest.raises(ValueError, match="America/Sao_Paulo"):
        zone("Not a zone")


def test_empty_or_bad_workdays_refused() -> None:
    """A calendar needs at least one working day between 1 and 7."""
    with pytest.raises(ValueError, match="non-empty"):
        Calendar(workdays=frozenset())
    with pytest.raises(ValueError, match="ISO weekdays"):
        Calendar(workdays=frozenset({0, 1}))


def test_calendar_where_every_day_is_a_holiday_stops() -> None:
    """A calendar without a working day in three years errors instead of looping."""
    start = date(2026, 1, 1)
    every = frozenset(start + timedelta(days=n) for n in range(366 * 3 + 2))
    calendar = Calendar("UTC", workdays=frozenset({1}), holidays=every)
    with pytest.raises(ValueError, match="no working day"):
        add_business_days(datetime(2026, 1, 1, tzinfo=UTC), 1, calendar)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("12345", {1, 2, 3, 4, 5}),
        ("mon,tue,wed,thu,fri", {1, 2, 3, 4, 5}),
        (" Monday, Tuesday ", {1, 2}),
        ("7123", {7, 1, 2, 3}),
        ("sun", {7}),
    ],
)
def test_parse_workdays_forms(text: str, days: set[int]) -> None:
    """Working days are read as ISO digits or weekday names (case and length tolerant)."""
    assert parse_workdays(text) == frozenset(days)


@pytest.mark.parametrize("text", ["", "089", "mon,funday", ",,", "monkey"])
def test_parse_workdays_refuses_nonsense(text: str) -> None:
    """Unknown weekday names, digits outside 1..7 and empty lists are refused."""
    with pytest.raises(ValueError, match="weekday"):
        parse_workdays(text)


def test_unknown_weekday_is_named_whole() -> None:
    """The error names the word as written, not a truncation of it."""
    with pytest.raises(ValueError, match="unknown weekday 'funday'"):
        parse_workdays("mon,funday")


def test_workdays_text_is_canonical() -> None:
    """Working days are stored as sorted ISO digits."""
    assert workdays_text([5, 1, 3, 3]) == "135"
    assert workdays_text(parse_workdays("fri,mon")) == "15"


def test_is_working_day() -> None:
    """A working day is a working weekday that is not a holiday."""
    assert BRAZIL.is_working_day(date(2026, 12, 24))
    assert not BRAZIL.is_working_day(date(2026, 12, 25))
    assert not BRAZIL.is_working_day(date(2026, 12, 26))


def test_worked_example_of_the_docs() -> None:
    """docs/business-calendars.md: Thursday 24 Dec 17:00 São Paulo + 3 → Wednesday 30 Dec 17:00
    there; the same instant in Tokyo → Wednesday 30 Dec 05:00 there."""
    calendar = Calendar(SAO_PAULO, holidays=frozenset({date(2026, 12, 25), date(2027, 1, 1)}))
    since = at(SAO_PAULO, 2026, 12, 24, 17, 0)
    assert add_business_days(since, 3, calendar) == datetime(2026, 12, 30, 20, 0, tzinfo=UTC)
    in_tokyo = add_business_days(since, 3, Calendar("Asia/Tokyo"))
    assert in_tokyo == at("Asia/Tokyo", 2026, 12, 30, 5, 0)
