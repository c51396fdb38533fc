"""KPI routine completion on a scripted history: on time, late, still open, per routine and
team and per week, with hand-computed expected values."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.kpis import routine_completion
from plantao.kpis.scope import KpiScope
from plantao.oncall import routines
from tests.factories.routines import all_tasks, run_step, setup_routines


def _done(factory: sessionmaker[Session], index: int) -> None:
    task = all_tasks(factory)[index]
    run_transaction(factory, lambda s: routines.mark_done(s, task.id, actor="ana"))


def test_on_time_late_and_open_over_four_days(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Day 1 done same day (on time), day 2 done after day 3's is due (late), day 3 never
    done (late), day 4 still open before day 5's: 4 due, 1 on time, 2 late, 1 open, 1/3."""
    setup_routines(factory)
    clock.advance(timedelta(minutes=30))  # Sun 22 Nov 09:30 São Paulo = 12:30 UTC
    run_step(factory)
    clock.advance(timedelta(hours=2))
    _done(factory, 0)
    clock.advance(timedelta(hours=22))  # Mon 23 Nov 12:30 UTC
    run_step(factory)
    clock.advance(timedelta(days=1))  # Tue 24 Nov 12:30 UTC: day 2's deadline
    run_step(factory)
    _done(factory, 1)  # done at its deadline: late (the next one is already due)
    clock.advance(timedelta(days=1))  # Wed 25 Nov 12:30 UTC
    run_step(factory)
    clock.advance(timedelta(hours=1))
    scope = KpiScope(
        start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 30, tzinfo=UTC)
    )
    with factory() as s:
        result = routine_completion.compute(s, scope)
    [row] = result.rows
    assert (row.routine, row.team, row.due, row.on_time, row.late, row.open) == (
        "daily-alert-review",
        "sre",
        4,
        1,
        2,
        1,
    )
    assert row.on_time_share == 1 / 3
    section = result.section()
    assert section.name == "routines"
    assert section.headline["routine_on_time_share"] == 1 / 3
    weeks = {p.week: (p.value, p.count) for p in section.trends}
    # Sunday 22 Nov is in the ISO week of Monday 16 Nov; 23-25 Nov in the week of 23 Nov.
    assert weeks == {date(2026, 11, 16): (1.0, 1), date(2026, 11, 23): (0.0, 3)}
    assert [t.name for t in section.tables] == [
        "routine_completion",
        "routine_completion_weekly",
    ]


def test_team_filter_and_empty_period(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Another team's scope sees no tasks and a None share (no data is not 0 %)."""
    setup_routines(factory)
    clock.advance(timedelta(minutes=30))
    run_step(factory)
    scope = KpiScope(
        start=datetime(2026, 11, 16, tzinfo=UTC),
        end=datetime(2026, 11, 30, tzinfo=UTC),
        team="payments",
    )
    with factory() as s:
        result = routine_completion.compute(s, scope)
    assert result.rows == ()
    assert result.section().headline["routine_on_time_share"] is None
    assert result.totals().due == 0
