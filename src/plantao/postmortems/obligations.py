"""Whether an incident owes a postmortem and by when (seed 002's severity matrix: Sev1 48 h,
Sev2 3 business days, Sev3 5 business days, Sev4 optional), counted from its resolution (or
from now when asked before it is resolved) in its team's business calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from plantao import clock
from plantao.incidents import severity_config
from plantao.incidents.models import Incident
from plantao.incidents.severity import SeverityMatrix
from plantao.postmortems import business_days, calendars


@dataclass(frozen=True)
class Obligation:
    required: bool
    due_at: datetime | None


def owes(matrix: SeverityMatrix, severity: str) -> bool:
    """Whether an incident of ``severity`` owes a postmortem (its level has an RCA window);
    cheap, for callers that ask about many incidents with one matrix."""
    try:
        level = matrix.level(severity)
    except ValueError:
        return False
    return level.rca_within is not None or level.rca_business_days is not None


def of(session: Session, incident: Incident) -> Obligation:
    """The postmortem ``incident`` owes: required when its severity has an RCA window."""
    try:
        level = severity_config.severity_matrix(session).level(incident.severity)
    except ValueError:
        return Obligation(False, None)
    hours = None if level.rca_within is None else int(level.rca_within.total_seconds() // 3600)
    since = incident.resolved_at or clock.now()
    due = business_days.window_end(
        since,
        hours=hours,
        business_days=level.rca_business_days,
        calendar=calendars.for_incident(session, incident),
    )
    return Obligation(due is not None, due)
