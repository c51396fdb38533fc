"""The 90-day uptime bars from a scripted status history, against hand-computed values:
Atlassian's rule (major minutes + 0.3 × partial minutes over the observed minutes), day
boundaries, overlaps (worst status wins), a component created mid-window and an incident still
open."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from plantao.statuspage.page_view import DayUptime
from plantao.statuspage.uptime import DAYS, Interval, bars, window_start

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def _at(day: int, hour: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


def _day(days: tuple[DayUptime, ...], which: date) -> DayUptime:
    return next(d for d in days if d.day == which)


HISTORY = [
    # Crosses midnight: an hour on Dec 1, an hour on Dec 2.
    Interval(_at(1, 23), _at(2, 1), "major_outage", incident_id=1),
    Interval(_at(30, 10, 11), _at(30, 12, 11), "partial_outage", incident_id=2),
    # Nov 29: a partial outage with a major hour inside it (two incidents).
    Interval(_at(29, 10, 11), _at(29, 14, 11), "partial_outage", incident_id=3),
    Interval(_at(29, 11, 11), _at(29, 12, 11), "major_outage", incident_id=4),
    # Nov 28: degraded and maintenance are shown but never down.
    Interval(_at(28, 1, 11), _at(28, 2, 11), "degraded_performance", incident_id=5),
    Interval(_at(28, 3, 11), _at(28, 5, 11), "under_maintenance"),
    # Nov 27: an incident during maintenance: the partial hour is the worst at that moment.
    Interval(_at(27, 0, 11), _at(27, 6, 11), "under_maintenance"),
    Interval(_at(27, 2, 11), _at(27, 3, 11), "partial_outage", incident_id=6),
    # Older than the window: ignored.
    Interval(datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 8, 2, tzinfo=UTC), "major_outage"),
    # Operational steps (a component restored) count as up.
    Interval(_at(26, 0, 11), _at(26, 12, 11), "operational", incident_id=7),
]


def test_ninety_utc_days_oldest_first_today_last() -> None:
    """The bar has 90 UTC days, from 89 days ago to today, oldest first."""
    days, share = bars([], NOW, LONG_AGO)
    assert len(days) == DAYS
    assert days[0].day == date(2026, 9, 4)
    assert days[-1].day == date(2026, 12, 2)
    assert all(d.uptime == 1.0 for d in days)
    assert share == 1.0
    assert window_start(NOW) == datetime(2026, 9, 4, tzinfo=UTC)


def test_day_boundaries_split_an_outage_and_today_counts_until_now() -> None:
    """An outage over midnight counts on both days; today is observed until now (720 min)."""
    days, _ = bars(HISTORY, NOW, LONG_AGO)
    dec1, dec2 = _day(days, date(2026, 12, 1)), _day(days, date(2026, 12, 2))
    assert dec1.major_minutes == 60
    assert dec1.uptime == pytest.approx(1 - 60 / 1440)
    assert dec2.major_minutes == 60
    assert dec2.uptime == pytest.approx(1 - 60 / 720)
    assert dec1.incidents == (1,) and dec2.incidents == (1,)


def test_partial_outage_weighs_three_tenths() -> None:
    """Two hours of partial outage take 0.3 × 120 minutes off the day."""
    day = _day(bars(HISTORY, NOW, LONG_AGO)[0], date(2026, 11, 30))
    assert day.partial_minutes == 120
    assert day.uptime == pytest.approx(1 - 36 / 1440)


def test_overlaps_take_the_worst_status_at_each_moment() -> None:
    """A major hour inside a partial outage counts as major, the rest as partial."""
    days, _ = bars(HISTORY, NOW, LONG_AGO)
    day = _day(days, date(2026, 11, 29))
    assert (day.major_minutes, day.partial_minutes) == (60, 180)
    assert day.uptime == pytest.approx(1 - (60 + 0.3 * 180) / 1440)
    assert day.incidents == (3, 4)
    during = _day(days, date(2026, 11, 27))
    assert (during.partial_minutes, during.maintenance_minutes) == (60, 300)
    assert during.uptime == pytest.approx(1 - 18 / 1440)


def test_degraded_and_maintenance_are_not_down() -> None:
    """Degraded performance and maintenance are counted but the day stays at 100%."""
    days, _ = bars(HISTORY, NOW, LONG_AGO)
    day = _day(days, date(2026, 11, 28))
    assert (day.degraded_minutes, day.maintenance_minutes) == (60, 120)
    assert day.uptime == 1.0
    restored = _day(days, date(2026, 11, 26))
    assert restored.uptime == 1.0 and restored.incidents == ()


def test_ninety_day_share_weighs_every_observed_minute() -> None:
    """The share is the same rule over the whole window (89 whole days and 12 hours today)."""
    _, share = bars(HISTORY, NOW, LONG_AGO)
    observed = 89 * 1440 + 720
    down = (60 + 60 + 60) + 0.3 * (120 + 180 + 60)
    assert share == pytest.approx(1 - down / observed)


def test_component_created_mid_window_counts_from_its_creation() -> None:
    """Days before the creation weigh nothing; its first day is observed from the creation,
    and an interval that began before it is clipped."""
    created = _at(1, 6)
    history = [
        Interval(_at(30, 20, 11), _at(1, 8), "partial_outage", incident_id=8),
        Interval(_at(2, 11), None, "major_outage", incident_id=9),  # still open
    ]
    days, share = bars(history, NOW, created)
    assert all(d.uptime == 1.0 and d.partial_minutes == 0 for d in days[:-2])
    first = _day(days, date(2026, 12, 1))
    assert first.partial_minutes == 120
    assert first.uptime == pytest.approx(1 - 36 / 1080)
    today = _day(days, date(2026, 12, 2))
    assert today.major_minutes == 60
    assert today.uptime == pytest.approx(1 - 60 / 720)
    assert today.incidents == (9,)
    assert share == pytest.approx(1 - (60 + 36) / (1080 + 720))


def test_an_interval_ending_at_midnight_does_not_touch_the_next_day() -> None:
    """An outage that ended at 00:00 belongs to the day before only."""
    days, _ = bars([Interval(_at(1, 22), _at(2, 0), "major_outage", 5)], NOW, LONG_AGO)
    assert _day(days, date(2026, 12, 1)).incidents == (5,)
    today = _day(days, date(2026, 12, 2))
    assert today.incidents == () and today.uptime == 1.0


def test_a_whole_day_of_major_outage_is_zero() -> None:
    """A day down from midnight to midnight is 0% (never negative)."""
    days, _ = bars([Interval(_at(30, 0, 11), _at(1, 0), "major_outage", 3)], NOW, LONG_AGO)
    assert _day(days, date(2026, 11, 30)).uptime == 0.0
