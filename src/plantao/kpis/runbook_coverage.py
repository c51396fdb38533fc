"""Runbook coverage (incidents that had a runbook) and usefulness (suggestions confirmed).

Why these words: in ``runbooks`` a link is *linked* when an alert's annotation or a matcher
named the runbook, a responder added it (``manual``), or a responder confirmed it; a row with
source ``suggestion`` that nobody confirmed is only a guess of the ranking and does not cover
the incident. Coverage is therefore the share of incidents with at least one linked or
confirmed runbook (seed 002 §4 counts the incidents *without* one); usefulness is the share of
suggested runbooks that a responder confirmed — does the ranking propose the right runbook?
A confirmation keeps the row's source, so a confirmed suggestion is still counted as suggested.

One query over ``runbook_links`` of the scope's incidents, grouped twice in the database;
titles of incidents are never read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.kpis.epoch import week_number, week_of
from plantao.kpis.response import weeks
from plantao.kpis.scope import KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import share
from plantao.runbooks.linking import LINKED_SOURCES
from plantao.runbooks.models import RunbookLink


@dataclass(frozen=True)
class ServiceCoverage:
    service: str
    incidents: int
    with_runbook: int
    with_confirmed: int
    coverage: float | None


@dataclass(frozen=True)
class RunbookCoverageReport:
    """Coverage and usefulness of one scope, overall, per service and per week."""

    incidents: int
    with_runbook: int
    with_confirmed: int
    suggested: int
    suggested_confirmed: int
    by_service: tuple[ServiceCoverage, ...]
    weekly: tuple[WeekPoint, ...]

    @property
    def coverage(self) -> float | None:
        return share(self.with_runbook, self.incidents)

    @property
    def confirmed_coverage(self) -> float | None:
        return share(self.with_confirmed, self.incidents)

    @property
    def usefulness(self) -> float | None:
        return share(self.suggested_confirmed, self.suggested)

    def as_api(self) -> dict[str, Any]:
        return {
            "incidents": self.incidents,
            "with_runbook": self.with_runbook,
            "without_runbook": self.incidents - self.with_runbook,
            "with_confirmed_runbook": self.with_confirmed,
            "coverage": self.coverage,
            "confirmed_coverage": self.confirmed_coverage,
            "suggested": self.suggested,
            "suggested_confirmed": self.suggested_confirmed,
            "usefulness": self.usefulness,
            "by_service": [vars(s) for s in self.by_service],
            "weekly": [
                {"week": p.week.isoformat(), "coverage": p.value, "incidents": p.count}
                for p in self.weekly
            ],
        }

    def section(self) -> Section:
        totals = self.as_api()
        summary_keys = tuple(k for k in totals if k not in ("by_service", "weekly"))
        return Section(
            name="runbooks",
            tables=(
                KpiTable(
                    name="runbook_coverage",
                    columns=summary_keys,
                    rows=(tuple(totals[k] for k in summary_keys),),
                ),
                KpiTable(
                    name="runbook_coverage_by_service",
                    columns=("service", "incidents", "with_runbook", "with_confirmed", "coverage"),
                    rows=tuple(
                        (s.service, s.incidents, s.with_runbook, s.with_confirmed, s.coverage)
                        for s in self.by_service
                    ),
                ),
                week_table("runbook_coverage_weekly", self.weekly),
            ),
            trends=self.weekly,
            headline={
                "coverage": self.coverage,
                "usefulness": self.usefulness,
                "without_runbook": self.incidents - self.with_runbook,
            },
        )


def compute(session: Session, scope: KpiScope) -> RunbookCoverageReport:
    """Coverage and usefulness of the scope's incidents' runbook links.

    Two levels of GROUP BY in the database: per incident (has a link? a confirmed one? how many
    suggestions, how many confirmed), then per service and ISO week; a year comes back as a few
    thousand rows.
    """
    confirmed = RunbookLink.confirmed_at.is_not(None)
    suggestion = RunbookLink.source == "suggestion"
    linked = RunbookLink.source.in_(LINKED_SOURCES) | confirmed

    def flag(condition: Any) -> Any:
        return func.coalesce(func.max(case((condition, 1), else_=0)), 0)

    def tally(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    week = week_number(Incident.triggered_at)
    per_incident = (
        scoped(
            scope,
            Service.slug.label("slug"),
            week.label("week"),
            flag(linked).label("linked"),
            flag(confirmed).label("confirmed"),
            tally(suggestion).label("made"),
            tally(suggestion & confirmed).label("taken"),
        )
        .outerjoin(RunbookLink, RunbookLink.incident_id == Incident.id)
        .group_by(Incident.id, Service.slug, week)
        .subquery()
    )
    c = per_incident.c
    rows = (
        session.connection()
        .execute(
            select(
                c.slug,
                c.week,
                func.count(),
                func.sum(c.linked),
                func.sum(c.confirmed),
                func.sum(c.made),
                func.sum(c.taken),
            ).group_by(c.slug, c.week)
        )
        .tuples()
    )
    services: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    per_week: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    suggested = suggested_confirmed = 0
    for slug, number, n, has_link, has_confirmed, made, taken in rows:
        counts = services[slug]
        counts[0] += int(n)
        counts[1] += int(has_link)
        counts[2] += int(has_confirmed)
        week_counts = per_week[week_of(number)]
        week_counts[0] += int(n)
        week_counts[1] += int(has_link)
        suggested += int(made)
        suggested_confirmed += int(taken)
    return RunbookCoverageReport(
        incidents=sum(c[0] for c in services.values()),
        with_runbook=sum(c[1] for c in services.values()),
        with_confirmed=sum(c[2] for c in services.values()),
        suggested=suggested,
        suggested_confirmed=suggested_confirmed,
        by_service=tuple(
            ServiceCoverage(slug, n, linked_n, confirmed_n, share(linked_n, n))
            for slug, (n, linked_n, confirmed_n) in sorted(services.items())
        ),
        weekly=tuple(
            WeekPoint(
                week=w,
                series="runbook_coverage",
                value=share(per_week[w][1], per_week[w][0]) if w in per_week else None,
                count=per_week[w][0] if w in per_week else 0,
            )
            for w in weeks(scope)
        ),
    )
