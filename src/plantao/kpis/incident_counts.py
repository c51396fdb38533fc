"""How many incidents, by severity, by root cause (seed 002 taxonomy), by service and per week.

Why counts need their own section: seed 002 §4 asks for the frequency by root-cause taxonomy,
and the response medians mean little without the volume behind them. The root cause is the
one the postmortem author chose; incidents without a postmortem or without a chosen cause are
"unclassified" (a visible gap in the learning loop, not hidden). The database counts (one
GROUP BY, the ISO week from ``kpis.epoch``); private incidents count like any other and no
title is read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.kpis.epoch import week_number, week_of
from plantao.kpis.response import weeks
from plantao.kpis.scope import SEVERITIES, KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import Count, KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import share
from plantao.postmortems.models import ROOT_CAUSES, Postmortem

UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class IncidentCounts:
    """Incidents of one scope counted four ways; every severity and cause is listed."""

    total: int
    by_severity: tuple[Count, ...]
    by_root_cause: tuple[Count, ...]
    by_service: tuple[Count, ...]
    weekly: tuple[WeekPoint, ...]

    def as_api(self) -> dict[str, Any]:
        def counts(items: tuple[Count, ...], key: str) -> list[dict[str, Any]]:
            return [{key: c.key, "incidents": c.count, "share": c.share} for c in items]

        return {
            "incidents": self.total,
            "by_severity": counts(self.by_severity, "severity"),
            "by_root_cause": counts(self.by_root_cause, "root_cause"),
            "by_service": counts(self.by_service, "service"),
            "weekly": [
                {"week": p.week.isoformat(), "severity": p.series, "incidents": p.count}
                for p in self.weekly
            ],
        }

    def section(self) -> Section:
        def table(name: str, key: str, items: tuple[Count, ...]) -> KpiTable:
            return KpiTable(
                name=name,
                columns=(key, "incidents", "share"),
                rows=tuple((c.key, c.count, c.share) for c in items),
            )

        return Section(
            name="incidents",
            tables=(
                table("incidents_by_severity", "severity", self.by_severity),
                table("incidents_by_root_cause", "root_cause", self.by_root_cause),
                table("incidents_by_service", "service", self.by_service),
                week_table("incidents_weekly", self.weekly),
            ),
            trends=self.weekly,
            headline={"incidents": self.total},
        )


def compute(session: Session, scope: KpiScope) -> IncidentCounts:
    """Counts of the scope's incidents; every severity and root cause is listed, even at 0.

    One GROUP BY (severity, root cause, service, ISO week) in the database: a year of
    incidents comes back as a few thousand count rows at most.
    """
    week = week_number(Incident.triggered_at)
    rows = (
        session.connection()
        .execute(
            scoped(
                scope, Incident.severity, Postmortem.root_cause, Service.slug, week, func.count()
            )
            .outerjoin(Postmortem, Postmortem.incident_id == Incident.id)
            .group_by(Incident.severity, Postmortem.root_cause, Service.slug, week)
        )
        .tuples()
    )
    severities: dict[str, int] = defaultdict(int)
    causes: dict[str, int] = defaultdict(int)
    services: dict[str, int] = defaultdict(int)
    per_week: dict[tuple[date, str], int] = defaultdict(int)
    total = 0
    for severity, cause, slug, number, n in rows:
        total += n
        severities[severity] += n
        causes[cause or UNCLASSIFIED] += n
        services[slug] += n
        per_week[(week_of(number), severity)] += n
    weekly = tuple(
        WeekPoint(week=monday, series=sev, value=float(n), count=n)
        for monday in weeks(scope)
        for sev in SEVERITIES
        for n in (per_week.get((monday, sev), 0),)
    )
    return IncidentCounts(
        total=total,
        by_severity=_counts(SEVERITIES, severities, total),
        by_root_cause=_counts((*ROOT_CAUSES, UNCLASSIFIED), causes, total),
        by_service=_counts(sorted(services, key=lambda s: (-services[s], s)), services, total),
        weekly=weekly,
    )


def _counts(keys: Iterable[str], found: dict[str, int], total: int) -> tuple[Count, ...]:
    return tuple(
        Count(key=k, count=found.get(k, 0), share=share(found.get(k, 0), total)) for k in keys
    )
