"""RCA adherence (postmortems published on time) and action adherence (actions done on time).

Why "decided" denominators: seed 002 §4 measures whether the learning loop keeps its promises.
A postmortem not yet due, or an action whose due date is still ahead, has broken no promise
and kept none either; counting it as "late" would make every recent period look bad. So each
share is over the *decided* ones — published (on time or late) or past due — and the rest are
shown as ``pending``. Actions closed as ``wont_do`` were dropped with a stated reason; they are
counted apart, not as late.

* RCA: postmortems (with a ``due_at``) of the scope's incidents; on time = ``published_at <=
  due_at``.
* Actions: corrective actions whose ``due_date`` falls in the period (their own service, team
  and severity filter them, since the action's may be changed from the incident's); on time =
  done and ``done_at``'s UTC date <= ``due_date``. Overdue = still open past its due date.

Dates are compared in UTC: an action done at 23:30 in São Paulo on its due date is 02:30 UTC
the day after and counts as late; the difference is at most a few hours once per action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.incidents.models import Incident
from plantao.kpis.scope import KpiScope
from plantao.kpis.selection import attribute_filters, scoped
from plantao.kpis.shapes import KpiTable, Section
from plantao.kpis.stats import share
from plantao.postmortems.models import ACTION_OPEN, CorrectiveAction, Postmortem


@dataclass(frozen=True)
class Adherence:
    """One promise kept or not: ``on_time + late`` are the decided ones."""

    owed: int
    on_time: int
    late: int
    pending: int
    overdue: int
    dropped: int = 0

    @property
    def share(self) -> float | None:
        return share(self.on_time, self.on_time + self.late)

    def as_api(self) -> dict[str, Any]:
        return {
            "owed": self.owed,
            "on_time": self.on_time,
            "late": self.late,
            "pending": self.pending,
            "overdue": self.overdue,
            "dropped": self.dropped,
            "share": self.share,
        }


@dataclass(frozen=True)
class AdherenceReport:
    rca: Adherence
    actions: Adherence

    def as_api(self) -> dict[str, Any]:
        return {"rca": self.rca.as_api(), "actions": self.actions.as_api()}

    def section(self) -> Section:
        columns = ("kind", "owed", "on_time", "late", "pending", "overdue", "dropped", "share")
        rows = tuple(
            (kind, *(item.as_api()[c] for c in columns[1:]))
            for kind, item in (("rca", self.rca), ("actions", self.actions))
        )
        return Section(
            name="adherence",
            tables=(KpiTable(name="adherence", columns=columns, rows=rows),),
            headline={
                "rca_share": self.rca.share,
                "action_share": self.actions.share,
                "overdue_actions": self.actions.overdue,
            },
        )


def rca_outcome(due_at: datetime, published_at: datetime | None, now: datetime) -> str:
    """``on_time``, ``late`` (published after, or unpublished past due) or ``pending``."""
    if published_at is not None:
        return "on_time" if published_at <= due_at else "late"
    return "late" if due_at < now else "pending"


def action_outcome(status: str, due: date, done_at: datetime | None, today: date) -> str:
    """``on_time``, ``late``, ``pending`` (open, not due yet) or ``dropped`` (won't do)."""
    if status == "wont_do":
        return "dropped"
    if status == "done" and done_at is not None:
        return "on_time" if done_at.astimezone(UTC).date() <= due else "late"
    return "late" if due < today else "pending"


def compute(session: Session, scope: KpiScope) -> AdherenceReport:
    """RCA and action adherence of the scope, as of ``clock.now()``."""
    now = clock.now()
    postmortems = session.execute(
        scoped(scope, Postmortem.due_at, Postmortem.published_at)
        .join(Postmortem, Postmortem.incident_id == Incident.id)
        .where(Postmortem.due_at.is_not(None))
    ).all()
    rca = [rca_outcome(due, published, now) for due, published in postmortems]
    rca_overdue = sum(
        1
        for (_, published), o in zip(postmortems, rca, strict=True)
        if o == "late" and not published
    )
    action = CorrectiveAction
    actions = session.execute(
        select(action.status, action.due_date, action.done_at).where(
            action.due_date >= scope.start.astimezone(UTC).date(),
            action.due_date < _end_day(scope),
            *attribute_filters(scope, service_id=action.service_id, severity=action.severity),
        )
    ).all()
    today = now.astimezone(UTC).date()
    outcomes = [action_outcome(status, due, done, today) for status, due, done in actions]
    overdue = sum(1 for (status, due, _) in actions if status in ACTION_OPEN and due < today)
    return AdherenceReport(
        rca=_tally(rca, rca_overdue),
        actions=_tally(outcomes, overdue),
    )


def _end_day(scope: KpiScope) -> date:
    """The first day not in the period: an ``end`` at midnight excludes that day."""
    end = scope.end.astimezone(UTC)
    return end.date() if end.time() == time(0) else end.date() + timedelta(days=1)


def _tally(outcomes: list[str], overdue: int) -> Adherence:
    return Adherence(
        owed=len(outcomes),
        on_time=outcomes.count("on_time"),
        late=outcomes.count("late"),
        pending=outcomes.count("pending"),
        overdue=overdue,
        dropped=outcomes.count("dropped"),
    )
