"""How many postmortems and corrective actions are due or late now, counted in the database
(the ``plantao_postmortems_*`` and ``plantao_actions_*`` gauges; any page that shows totals).

A postmortem is overdue once its due time has passed and it is not published. An action is
overdue once its due date has passed (in UTC: the day after its due date has begun there)
while it is open or in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.postmortems.models import ACTION_OPEN, CorrectiveAction, Postmortem


@dataclass(frozen=True)
class DueCounts:
    postmortems_overdue: int
    postmortems_due: int
    actions_overdue: int
    actions_open_must_fix: int
    actions_open_other: int


def counts(session: Session, now: datetime) -> DueCounts:
    """Every figure at ``now``, in two queries."""
    unpublished = session.execute(
        select(
            func.count().filter(Postmortem.due_at <= now),
            func.count().filter(Postmortem.due_at > now, Postmortem.required.is_(True)),
        ).where(Postmortem.status != "published", Postmortem.due_at.is_not(None))
    ).one()
    today = now.date()
    actions = session.execute(
        select(
            func.count().filter(CorrectiveAction.due_date < today),
            func.count().filter(CorrectiveAction.must_fix.is_(True)),
            func.count().filter(CorrectiveAction.must_fix.is_(False)),
        ).where(CorrectiveAction.status.in_(ACTION_OPEN))
    ).one()
    return DueCounts(
        postmortems_overdue=int(unpublished[0] or 0),
        postmortems_due=int(unpublished[1] or 0),
        actions_overdue=int(actions[0] or 0),
        actions_open_must_fix=int(actions[1] or 0),
        actions_open_other=int(actions[2] or 0),
    )
