"""Change-caused incidents: the share per service and the count per release version.

Why two signals: seed 002 §4 asks which share of incidents changes caused, per release. The
postmortem's ``cause_change_id`` is the author's verdict and wins; without one, a change event
of the incident's service in the hour before it was triggered (:data:`WINDOW`) is taken as the
cause — the usual first suspect, and what the incident page already shows. An incident is
attributed to ONE change (the named one, else the latest in the window), so a version's count
is the incidents it caused and the per-version counts add up to the change-caused total.

The database does the matching (a correlated subquery per incident, an index probe each) and
the grouping; only the changes actually blamed are read for their release (summary and
details, a JSON document each).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session, aliased

from plantao.catalog.models import Service
from plantao.changes.models import ChangeEvent
from plantao.db import is_postgres
from plantao.incidents.models import Incident
from plantao.kpis.epoch import shifted, week_number, week_number_of
from plantao.kpis.response import weeks
from plantao.kpis.scope import KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import share
from plantao.postmortems.models import Postmortem

#: A change this long before an incident is triggered is taken as its cause.
WINDOW = timedelta(hours=1)
#: Longest release label kept in a table (summaries can be long sentences).
_LABEL = 200


@dataclass(frozen=True)
class ServiceShare:
    service: str
    incidents: int
    change_caused: int
    share: float | None


@dataclass(frozen=True)
class ReleaseCount:
    service: str
    release: str
    incidents: int


@dataclass(frozen=True)
class ChangeCausedReport:
    """Change-caused incidents of one scope: overall, per service, per release, per week."""

    incidents: int
    change_caused: int
    named_in_postmortem: int
    by_service: tuple[ServiceShare, ...]
    by_release: tuple[ReleaseCount, ...]
    weekly: tuple[WeekPoint, ...]

    @property
    def share(self) -> float | None:
        return share(self.change_caused, self.incidents)

    def as_api(self) -> dict[str, Any]:
        return {
            "incidents": self.incidents,
            "change_caused": self.change_caused,
            "named_in_postmortem": self.named_in_postmortem,
            "share": self.share,
            "by_service": [vars(s) for s in self.by_service],
            "by_release": [vars(r) for r in self.by_release],
            "weekly": [
                {"week": p.week.isoformat(), "share": p.value, "incidents": p.count}
                for p in self.weekly
            ],
        }

    def section(self) -> Section:
        return Section(
            name="change_caused",
            tables=(
                KpiTable(
                    name="change_caused_by_service",
                    columns=("service", "incidents", "change_caused", "share"),
                    rows=tuple(
                        (s.service, s.incidents, s.change_caused, s.share) for s in self.by_service
                    ),
                ),
                KpiTable(
                    name="change_caused_by_release",
                    columns=("service", "release", "incidents"),
                    rows=tuple((r.service, r.release, r.incidents) for r in self.by_release),
                ),
                week_table("change_caused_weekly", self.weekly),
            ),
            trends=self.weekly,
            headline={
                "incidents": self.incidents,
                "change_caused": self.change_caused,
                "share": self.share,
            },
        )


def release_of(summary: str, details: Any) -> str:
    """The release a change shipped: its ``version`` detail when given, else its summary.

    The PagerDuty change intake keeps the sender's fields under ``custom_details``, so
    ``details["custom_details"]["version"]`` is where a CI pipeline's version lands; a
    top-level ``details["version"]`` (changes recorded by other means) is read first.
    """
    version = None
    if isinstance(details, dict):
        custom = details.get("custom_details")
        version = details.get("version")
        if version is None and isinstance(custom, dict):
            version = custom.get("version")
    if version is not None and str(version).strip():
        return str(version).strip()[:_LABEL]
    return (summary.strip() or "(no summary)")[:_LABEL]


def compute(session: Session, scope: KpiScope) -> ChangeCausedReport:
    """The change-caused figures of the scope's incidents.

    Per incident the database picks its cause — the postmortem's named change, else the latest
    change of its service in ``[triggered − 1 h, triggered]`` (one probe of the
    ``ix_change_events_service_at`` index) — and groups by service, ISO week and cause.
    """
    change = aliased(ChangeEvent)
    triggered = Incident.triggered_at
    in_window = (
        select(change.id)
        .where(
            change.service_id == Incident.service_id,
            change.occurred_at <= triggered,
            change.occurred_at >= shifted(triggered, -int(WINDOW.total_seconds())),
        )
        .order_by(change.occurred_at.desc(), change.id.desc())
        .limit(1)
        .correlate(Incident)
        .scalar_subquery()
    )
    per_incident = (
        scoped(
            scope,
            Incident.service_id.label("service_id"),
            week_number(triggered).label("week"),
            func.coalesce(Postmortem.cause_change_id, in_window).label("cause"),
            case((Postmortem.cause_change_id.is_not(None), 1), else_=0).label("named"),
        )
        .outerjoin(Postmortem, Postmortem.incident_id == Incident.id)
        .subquery()
    )
    c = per_incident.c
    if is_postgres(session):
        # The planner's estimate (50,000 probes) makes PostgreSQL JIT-compile this statement,
        # which costs ~0.5 s, more than running it; LOCAL ends with this (reading) transaction.
        session.execute(text("SET LOCAL jit = off"))
    rows = session.connection().execute(
        select(c.service_id, c.week, c.cause, c.named, func.count()).group_by(
            c.service_id, c.week, c.cause, c.named
        )
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    blamed: dict[int, int] = defaultdict(int)  # change id -> incidents it caused
    weekly: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    incidents = named = 0
    for service_id, number, cause, was_named, n in rows:
        incidents += n
        totals[service_id][0] += n
        weekly[number][0] += n
        if cause is None:
            continue
        named += n if was_named else 0
        totals[service_id][1] += n
        weekly[number][1] += n
        blamed[cause] += n
    slugs = dict(session.execute(select(Service.id, Service.slug)).tuples().all())
    releases: dict[tuple[str, str], int] = defaultdict(int)
    for change_id, service_id, release in _releases(session, sorted(blamed)):
        releases[(slugs.get(service_id, "?"), release)] += blamed[change_id]
    by_service = [
        ServiceShare(slugs.get(sid, "?"), n, caused, share(caused, n))
        for sid, (n, caused) in totals.items()
    ]
    by_service.sort(key=lambda s: (-s.change_caused, s.service))
    return ChangeCausedReport(
        incidents=incidents,
        change_caused=sum(blamed.values()),
        named_in_postmortem=named,
        by_service=tuple(by_service),
        by_release=tuple(
            ReleaseCount(service, release, n)
            for (service, release), n in sorted(releases.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        weekly=tuple(
            WeekPoint(
                week=monday,
                series="change_caused_share",
                value=share(weekly[number][1], weekly[number][0]) if number in weekly else None,
                count=weekly[number][0] if number in weekly else 0,
            )
            for monday in weeks(scope)
            for number in (week_number_of(monday),)
        ),
    )


def _releases(session: Session, ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """``(id, service_id, release)`` of the blamed changes, in chunks of 1000 ids."""
    found: list[tuple[int, int, str]] = []
    for first in range(0, len(ids), 1000):
        rows = session.execute(
            select(
                ChangeEvent.id, ChangeEvent.service_id, ChangeEvent.summary, ChangeEvent.details
            ).where(ChangeEvent.id.in_(ids[first : first + 1000]))
        )
        found.extend((r[0], r[1], release_of(r[2], r[3])) for r in rows)
    return found
