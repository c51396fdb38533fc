"""The runbook coverage KPI: how many incidents followed a confirmed runbook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.incidents.models import Incident
from plantao.runbooks.models import RunbookLink
from plantao.runbooks.schemas import CoverageOut


def coverage(session: Session, *, since: datetime | None, until: datetime | None) -> CoverageOut:
    """Share of incidents (triggered in [since, until)) with a confirmed runbook."""
    scope = select(Incident.id)
    if since is not None:
        scope = scope.where(Incident.triggered_at >= since)
    if until is not None:
        scope = scope.where(Incident.triggered_at < until)
    ids = scope.subquery()
    total = int(session.scalar(select(func.count()).select_from(ids)) or 0)

    def distinct_incidents(*where: Any) -> int:
        stmt = select(func.count(func.distinct(RunbookLink.incident_id))).where(
            RunbookLink.incident_id.in_(select(ids.c.id)), *where
        )
        return int(session.scalar(stmt) or 0)

    confirmed = distinct_incidents(RunbookLink.confirmed_at.is_not(None))
    with_any = distinct_incidents()
    return CoverageOut(
        since=since,
        until=until,
        incidents=total,
        with_confirmed_runbook=confirmed,
        without_confirmed_runbook=total - confirmed,
        without_any_runbook=total - with_any,
        coverage=round(confirmed / total, 4) if total else None,
    )
