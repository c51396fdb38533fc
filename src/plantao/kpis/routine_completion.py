"""KPI: recurring operational routines done on time (seed 003 §7), per routine and team.

A task is *on time* when it was marked done before its routine's next occurrence fell due
(the daily review done before the next day's, the monthly restore test before next month's):
the point of a routine is that it happens every period, not that it happens within the hour.
A task still open whose next occurrence has not come yet is *open*, neither on time nor late,
and stays out of the share, so a period that ends this morning does not count this morning's
review as missed. Tasks are selected by ``due_at`` in the scope's ``[start, end)``; the team
filter is the routine's owner team; service and severity do not apply to routines and are
ignored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import share
from plantao.oncall.routine_models import Routine, RoutineTask
from plantao.oncall.routine_recurrence import from_dict, next_after
from plantao.people.models import Team

NAME = "routines"


@dataclass(frozen=True)
class RoutineRow:
    routine: str
    team: str
    due: int
    on_time: int
    late: int
    open: int

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.on_time + self.late)


@dataclass(frozen=True)
class RoutineCompletion:
    rows: tuple[RoutineRow, ...]
    weeks: tuple[WeekPoint, ...]

    def totals(self) -> RoutineRow:
        return RoutineRow(
            "all",
            "all",
            sum(r.due for r in self.rows),
            sum(r.on_time for r in self.rows),
            sum(r.late for r in self.rows),
            sum(r.open for r in self.rows),
        )

    def section(self) -> Section:
        total = self.totals()
        table = KpiTable(
            name="routine_completion",
            columns=("routine", "team", "due", "on_time", "late", "open", "on_time_share"),
            rows=tuple(
                (r.routine, r.team, r.due, r.on_time, r.late, r.open, r.on_time_share)
                for r in self.rows
            ),
        )
        return Section(
            name=NAME,
            tables=(table, week_table("routine_completion_weekly", self.weeks)),
            trends=self.weeks,
            headline={
                "routine_tasks_due": total.due,
                "routine_tasks_on_time": total.on_time,
                "routine_tasks_late": total.late,
                "routine_on_time_share": total.on_time_share,
            },
        )


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _verdict(task: RoutineTask, deadline: datetime, now: datetime) -> str:
    if task.done_at is not None:
        return "on_time" if task.done_at < deadline else "late"
    return "late" if now >= deadline else "open"


def task_state(task: RoutineTask, routine: Routine, now: datetime) -> str:
    """``on_time``, ``late`` or ``open`` for one task, as this KPI counts it (the page's word)."""
    return _verdict(task, next_after(from_dict(routine.recurrence), task.due_at), now)


def compute(session: Session, scope: KpiScope) -> RoutineCompletion:
    """Tasks due in ``scope``, grouped per routine (with its team) and per ISO week."""
    now = clock.now()
    query = (
        select(RoutineTask, Routine, Team.slug)
        .join(Routine, Routine.id == RoutineTask.routine_id)
        .join(Team, Team.id == Routine.team_id)
        .where(RoutineTask.due_at >= scope.start, RoutineTask.due_at < scope.end)
    )
    if scope.team:
        query = query.where(Team.slug == scope.team)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"on_time": 0, "late": 0, "open": 0}
    )
    weekly: dict[date, dict[str, int]] = defaultdict(lambda: {"on_time": 0, "late": 0, "open": 0})
    for task, routine, team in session.execute(query).all():
        deadline = next_after(from_dict(routine.recurrence), task.due_at)
        verdict = _verdict(task, deadline, now)
        counts[(routine.slug, team)][verdict] += 1
        weekly[_monday(task.due_at)][verdict] += 1
    rows = tuple(
        RoutineRow(slug, team, sum(c.values()), c["on_time"], c["late"], c["open"])
        for (slug, team), c in sorted(counts.items())
    )
    weeks = tuple(
        WeekPoint(
            week=monday,
            series="on_time_share",
            value=share(c["on_time"], c["on_time"] + c["late"]),
            count=sum(c.values()),
        )
        for monday, c in sorted(weekly.items())
    )
    return RoutineCompletion(rows, weeks)
