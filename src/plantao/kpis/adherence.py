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

The database does the counting (sums of conditions, two result rows). Dates are compared in
UTC: an action done at 23:30 in São Paulo on its due date is 02:30 UTC
the day after and counts as late; the difference is at most a few hours once per action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, time, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.incidents.models import Incident
from plantao.kpis.epoch import utc_date
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


def compute(session: Session, scope: KpiScope) -> AdherenceReport:
    """RCA and action adherence of the scope, as of ``clock.now()``: two rows of sums."""
    now = clock.now()
    today = now.astimezone(UTC).date()
    pm = Postmortem
    published = pm.published_at.is_not(None)
    rca_row = (
        session.connection()
        .execute(
            scoped(
                scope,
                func.count(),
                _sum(published & (pm.published_at <= pm.due_at)),
                _sum(
                    (published & (pm.published_at > pm.due_at)) | (~published & (pm.due_at < now))
                ),
                _sum(~published & (pm.due_at >= now)),
                _sum(~published & (pm.due_at < now)),
                literal(0),
            )
            .join(pm, pm.incident_id == Incident.id)
            .where(pm.due_at.is_not(None))
        )
        .one()
    )
    action = CorrectiveAction
    dropped = action.status == "wont_do"
    done = (action.status == "done") & action.done_at.is_not(None)
    undone = ~dropped & ~done
    action_row = (
        session.connection()
        .execute(
            select(
                func.count(),
                _sum(done & (utc_date(action.done_at) <= action.due_date)),
                _sum(
                    (done & (utc_date(action.done_at) > action.due_date))
                    | (undone & (action.due_date < today))
                ),
                _sum(undone & (action.due_date >= today)),
                _sum(action.status.in_(ACTION_OPEN) & (action.due_date < today)),
                _sum(dropped),
            ).where(
                action.due_date >= scope.start.astimezone(UTC).date(),
                action.due_date < _end_day(scope),
                *attribute_filters(scope, service_id=action.service_id, severity=action.severity),
            )
        )
        .one()
    )
    return AdherenceReport(
        rca=Adherence(*map(int, rca_row)), actions=Adherence(*map(int, action_row))
    )


def _sum(condition: Any) -> Any:
    """How many rows meet ``condition`` (0, not NULL, over no rows)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _end_day(scope: KpiScope) -> date:
    """The first day not in the period: an ``end`` at midnight excludes that day."""
    end = scope.end.astimezone(UTC)
    return end.date() if end.time() == time(0) else end.date() + timedelta(days=1)
