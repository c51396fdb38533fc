"""When a maintenance window shows on a status page: scheduled up to a week ahead, in progress,
completed for three days; a recurring window shows its current or next occurrence; a window
ended early stops there."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from plantao.oncall.window_rules import Recurrence
from plantao.statuspage.maintenance_times import occurrences, shown, spans, status_of

START = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
END = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)
#: Mondays 02:00-04:00 in São Paulo (05:00-07:00 UTC).
WEEKLY = Recurrence(
    every_days=7, start=time(2), duration=timedelta(hours=2), tz="America/Sao_Paulo"
)


def test_one_off_window_goes_scheduled_in_progress_completed() -> None:
    """A one-off window: hidden more than 7 days ahead, then scheduled, in progress, completed
    for 3 days, then gone."""
    span = (START, END)
    assert status_of(span, START - timedelta(days=8)) is None
    assert status_of(span, START - timedelta(days=6)) == "scheduled"
    assert status_of(span, START) == "in_progress"
    assert status_of(span, END - timedelta(seconds=1)) == "in_progress"
    assert status_of(span, END) == "completed"
    assert status_of(span, END + timedelta(days=3)) == "completed"
    assert status_of(span, END + timedelta(days=3, seconds=1)) is None


def test_window_without_an_end_stays_in_progress() -> None:
    """A window with no planned end is in progress until someone ends it."""
    assert status_of((START, None), START + timedelta(days=30)) == "in_progress"


def test_recurring_window_occurrences_follow_the_rule() -> None:
    """Weekly Monday occurrences at the local time, in UTC."""
    lo = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    found = occurrences(WEEKLY, lo, lo + timedelta(days=15))
    assert found == [
        (datetime(2026, 11, 30, 5, tzinfo=UTC), datetime(2026, 11, 30, 7, tzinfo=UTC)),
        (datetime(2026, 12, 7, 5, tzinfo=UTC), datetime(2026, 12, 7, 7, tzinfo=UTC)),
        (datetime(2026, 12, 14, 5, tzinfo=UTC), datetime(2026, 12, 14, 7, tzinfo=UTC)),
    ]


def test_recurring_window_shows_current_else_next_occurrence() -> None:
    """During an occurrence it is in progress; the day after, the next one is scheduled (not
    the one just completed)."""
    during = datetime(2026, 11, 30, 6, tzinfo=UTC)
    found = spans(None, None, WEEKLY, None, during - timedelta(days=3), during + timedelta(days=7))
    assert shown(found, during) == (
        (datetime(2026, 11, 30, 5, tzinfo=UTC), datetime(2026, 11, 30, 7, tzinfo=UTC)),
        "in_progress",
    )
    after = datetime(2026, 12, 1, 12, tzinfo=UTC)
    found = spans(None, None, WEEKLY, None, after - timedelta(days=3), after + timedelta(days=7))
    assert shown(found, after) == (
        (datetime(2026, 12, 7, 5, tzinfo=UTC), datetime(2026, 12, 7, 7, tzinfo=UTC)),
        "scheduled",
    )


def test_window_ended_early_stops_there() -> None:
    """Ending a window cuts its span and drops the occurrences after it."""
    ended = START + timedelta(minutes=30)
    lo, hi = START - timedelta(days=1), START + timedelta(days=1)
    assert spans(START, END, None, ended, lo, hi) == [(START, ended)]
    cut = datetime(2026, 11, 30, 6, tzinfo=UTC)
    found = spans(None, None, WEEKLY, cut, cut - timedelta(days=1), cut + timedelta(days=14))
    assert found == [(datetime(2026, 11, 30, 5, tzinfo=UTC), cut)]


def test_nothing_to_show_gives_none() -> None:
    """A window long over shows nothing."""
    assert shown([(START, END)], END + timedelta(days=10)) is None
