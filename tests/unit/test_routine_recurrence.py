"""When routines fall due: wall-clock times in a zone, DST gaps and overlaps, month ends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from plantao.oncall.routine_recurrence import from_dict, latest_at_or_before, next_after


def _utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_daily_in_sao_paulo_is_nine_local() -> None:
    """A daily 09:00 America/Sao_Paulo rule (UTC-3, no DST) falls due at 12:00 UTC."""
    rule = from_dict({"every": "daily", "at": "09:00", "time_zone": "America/Sao_Paulo"})
    assert next_after(rule, _utc(2026, 12, 2, 11, 0)) == _utc(2026, 12, 2, 12, 0)
    assert next_after(rule, _utc(2026, 12, 2, 12, 0)) == _utc(2026, 12, 3, 12, 0)
    assert latest_at_or_before(rule, _utc(2026, 12, 2, 11, 59)) == _utc(2026, 12, 1, 12, 0)
    assert latest_at_or_before(rule, _utc(2026, 12, 2, 12, 0)) == _utc(2026, 12, 2, 12, 0)


def test_daily_keeps_local_time_across_spring_forward() -> None:
    """Across Berlin's spring-forward (29 March 2026) 09:00 moves from 08:00 to 07:00 UTC."""
    rule = from_dict({"every": "daily", "at": "09:00", "time_zone": "Europe/Berlin"})
    before = next_after(rule, _utc(2026, 3, 28, 0, 0))
    after = next_after(rule, before)
    assert before == _utc(2026, 3, 28, 8, 0)
    assert after == _utc(2026, 3, 29, 7, 0)
    assert (after - before).total_seconds() == 23 * 3600


def test_time_inside_the_gap_moves_forward() -> None:
    """02:30 does not exist in New York on 8 March 2026; the occurrence is 03:30 EDT."""
    rule = from_dict({"every": "daily", "at": "02:30", "time_zone": "America/New_York"})
    assert next_after(rule, _utc(2026, 3, 8, 0, 0)) == _utc(2026, 3, 8, 7, 30)


def test_time_inside_the_overlap_is_its_first_occurrence() -> None:
    """01:30 happens twice in New York on 1 November 2026; the first (EDT, 05:30 UTC) counts."""
    rule = from_dict({"every": "daily", "at": "01:30", "time_zone": "America/New_York"})
    first = next_after(rule, _utc(2026, 11, 1, 0, 0))
    assert first == _utc(2026, 11, 1, 5, 30)
    assert next_after(rule, first) == _utc(2026, 11, 2, 6, 30)


def test_weekly_on_monday() -> None:
    """A weekly Monday 10:00 UTC rule: from Wednesday the next is the coming Monday."""
    rule = from_dict({"every": "weekly", "weekday": "Monday", "at": "10:00", "time_zone": "UTC"})
    assert next_after(rule, _utc(2026, 12, 2, 0, 0)) == _utc(2026, 12, 7, 10, 0)
    assert latest_at_or_before(rule, _utc(2026, 12, 2, 0, 0)) == _utc(2026, 11, 30, 10, 0)


def test_monthly_day_31_is_the_last_day_of_shorter_months() -> None:
    """Day 31 falls on 30 April and 28 February, never skipping a month."""
    rule = from_dict({"every": "monthly", "day": 31, "at": "09:00", "time_zone": "UTC"})
    assert next_after(rule, _utc(2026, 4, 1, 0, 0)) == _utc(2026, 4, 30, 9, 0)
    assert next_after(rule, _utc(2027, 2, 1, 0, 0)) == _utc(2027, 2, 28, 9, 0)
    assert next_after(rule, _utc(2027, 2, 28, 9, 0)) == _utc(2027, 3, 31, 9, 0)


def test_quarterly_first_day_of_quarter() -> None:
    """Quarterly day 1 falls on 1 January, April, July and October only."""
    rule = from_dict({"every": "quarterly", "day": 1, "at": "09:00", "time_zone": "UTC"})
    assert next_after(rule, _utc(2026, 12, 2, 0, 0)) == _utc(2027, 1, 1, 9, 0)
    assert latest_at_or_before(rule, _utc(2026, 12, 2, 0, 0)) == _utc(2026, 10, 1, 9, 0)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"every": "hourly"}, "every"),
        ({"every": "daily", "at": "25:00"}, "at"),
        ({"every": "daily", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"every": "weekly", "weekday": "funday"}, "weekday"),
        ({"every": "monthly", "day": 32}, "day"),
    ],
)
def test_bad_rules_name_their_field(data: dict[str, object], field: str) -> None:
    """Each bad rule is refused with a message starting with the bad field's name."""
    with pytest.raises(ValueError, match=f"^{field}:"):
        from_dict(data)


def test_rule_round_trips_with_seconds_kept() -> None:
    """A stored rule reads back the same, seconds kept only when given."""
    plain = {"every": "weekly", "at": "09:00", "time_zone": "UTC", "weekday": "friday"}
    assert from_dict(plain).to_dict() == plain
    exact = {"every": "monthly", "at": "23:59:30", "time_zone": "Asia/Kolkata", "day": 15}
    assert from_dict(exact).to_dict() == exact
