"""Response times per severity (detect, acknowledge, mitigate, resolve) against the matrix.

Why this shape: seed 002 §4 judges the response by severity against the targets of the
severity matrix in force (MTTA 5/15/60 min, MTTR per the matrix), so each severity gets its
medians, p90s and the share of incidents that met the target; the weekly medians show whether
it is getting better. One query reads the scope's incidents (timestamps only — never titles,
so private incidents count without showing) with the alert rollup outer-joined for the first
alert's start; the reduction happens in Python with ``kpis.stats`` so both databases agree.

What each duration is (and which incidents it leaves out) is written in docs/kpis-figures.md:
a duration is counted only for incidents that reached its end point (an unacknowledged
incident has no MTTA yet); those are exposed as ``open`` counts instead of being guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from plantao.incidents.models import Incident
from plantao.incidents.severity import SeverityMatrix
from plantao.incidents.severity_config import severity_matrix
from plantao.kpis.models import KpiIncidentRollup
from plantao.kpis.scope import SEVERITIES, KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import (
    Cell,
    DurationFigure,
    KpiTable,
    Section,
    SeverityResponse,
    WeekPoint,
    week_table,
)
from plantao.kpis.stats import met_share, percentile

#: The durations, in the order of an incident's life; names used in tables and API keys.
DURATIONS = ("mttd", "mtta", "mttm", "mttr")
#: The durations drawn as weekly trends (p50), one series per severity and duration.
TREND_DURATIONS = ("mtta", "mttr")


@dataclass(frozen=True)
class IncidentTimes:
    """The moments of one incident that the response times are computed from."""

    severity: str
    triggered_at: datetime
    first_alert_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None

    def duration(self, name: str) -> float | None:
        """Seconds of ``name`` (mttd/mtta/mttm/mttr), None when the end point is not reached.

        MTTD runs from the first alert's start to the incident being triggered (Plantão's
        ``detected_at`` is itself the earliest alert start, so it cannot measure detection);
        time to mitigate ends at ``mitigated_at`` or, for incidents resolved straight away, at
        ``resolved_at``. Negative spans (clock skew between senders) count as 0.
        """
        start: datetime | None
        end: datetime | None
        if name == "mttd":
            start, end = self.first_alert_at, self.triggered_at
        elif name == "mtta":
            start, end = self.triggered_at, self.acknowledged_at
        elif name == "mttm":
            start, end = self.triggered_at, self.mitigated_at or self.resolved_at
        elif name == "mttr":
            start, end = self.triggered_at, self.resolved_at
        else:
            raise ValueError(f"unknown duration {name!r}")
        if start is None or end is None:
            return None
        return max(0.0, (end - start).total_seconds())


@dataclass(frozen=True)
class OpenCounts:
    """Incidents of one severity not yet acknowledged / mitigated / resolved (not in p50/p90)."""

    unacknowledged: int
    unmitigated: int
    unresolved: int


@dataclass(frozen=True)
class ResponseReport:
    """Response times of one scope: all four severities, open counts and weekly medians."""

    scope: KpiScope
    by_severity: tuple[SeverityResponse, ...]
    open: dict[str, OpenCounts]
    trends: tuple[WeekPoint, ...]

    def as_api(self) -> dict[str, Any]:
        """The body of ``GET /api/v1/kpis/response`` (keys fixed by issue 14, more added)."""
        rows = []
        for row in self.by_severity:
            item: dict[str, Any] = {"severity": row.severity, "incidents": row.incidents}
            for name in DURATIONS:
                item.update(_figure_keys(name, getattr(row, name)))
            still = self.open[row.severity]
            item["unacknowledged"] = still.unacknowledged
            item["unmitigated"] = still.unmitigated
            item["unresolved"] = still.unresolved
            rows.append(item)
        return {
            "from": self.scope.query()["from"],
            "to": self.scope.query()["to"],
            "by_severity": rows,
            "weekly": [
                {"week": p.week.isoformat(), "series": p.series, "value": p.value, "count": p.count}
                for p in self.trends
            ],
        }

    def section(self) -> Section:
        """The page/export section: the per-severity table and the weekly median trends."""
        api = self.as_api()["by_severity"]
        columns = tuple(api[0].keys())
        table = KpiTable(
            name="response_by_severity",
            columns=columns,
            rows=tuple(tuple(_cell(item[c]) for c in columns) for item in api),
        )
        total = sum(row.incidents for row in self.by_severity)
        headline: dict[str, Cell] = {
            "incidents": total,
            "unacknowledged": sum(o.unacknowledged for o in self.open.values()),
            "unresolved": sum(o.unresolved for o in self.open.values()),
        }
        return Section(
            name="response",
            tables=(table, week_table("response_weekly", self.trends)),
            trends=self.trends,
            headline=headline,
        )


def series_name(severity: str, duration: str) -> str:
    """The trend series of one severity's p50 (``sev1 mtta_p50``), as charts label it."""
    return f"{severity} {duration}_p50"


def compute(session: Session, scope: KpiScope) -> ResponseReport:
    """The response report of ``scope``, against the severity matrix in force."""
    rows = session.execute(
        scoped(
            scope,
            Incident.severity,
            Incident.triggered_at,
            KpiIncidentRollup.first_alert_at,
            Incident.acknowledged_at,
            Incident.mitigated_at,
            Incident.resolved_at,
        ).outerjoin(KpiIncidentRollup, KpiIncidentRollup.incident_id == Incident.id)
    ).all()
    times = [IncidentTimes(*row) for row in rows]
    return from_times(scope, times, severity_matrix(session))


def from_times(
    scope: KpiScope, times: Sequence[IncidentTimes], matrix: SeverityMatrix
) -> ResponseReport:
    """The figures of already-read incidents (pure: unit-tested without a database)."""
    grouped: dict[str, list[IncidentTimes]] = {sev: [] for sev in SEVERITIES}
    for item in times:
        grouped.setdefault(item.severity, []).append(item)
    by_severity = []
    still_open = {}
    for sev in SEVERITIES:
        members = grouped[sev]
        targets = _targets(matrix, sev)
        figures = {name: figure(_durations(members, name), targets.get(name)) for name in DURATIONS}
        by_severity.append(SeverityResponse(severity=sev, incidents=len(members), **figures))
        still_open[sev] = OpenCounts(
            unacknowledged=sum(1 for m in members if m.acknowledged_at is None),
            unmitigated=sum(1 for m in members if m.duration("mttm") is None),
            unresolved=sum(1 for m in members if m.resolved_at is None),
        )
    return ResponseReport(
        scope=scope,
        by_severity=tuple(by_severity),
        open=still_open,
        trends=weekly(scope, times),
    )


def figure(values: Sequence[float], target_seconds: int | None) -> DurationFigure:
    """p50, p90 and met share of durations against a target (seconds)."""
    return DurationFigure(
        count=len(values),
        p50_seconds=percentile(values, 0.5),
        p90_seconds=percentile(values, 0.9),
        target_seconds=target_seconds,
        met_share=met_share(values, target_seconds),
    )


def weekly(scope: KpiScope, times: Iterable[IncidentTimes]) -> tuple[WeekPoint, ...]:
    """MTTA and MTTR p50 per ISO week (Monday, UTC) and severity, every week of the scope.

    Weeks without incidents are present with ``value=None`` so a chart shows the gap instead of
    drawing a line across it; an incident belongs to the week it was triggered in.
    """
    buckets: dict[tuple[date, str, str], list[float]] = defaultdict(list)
    for item in times:
        week = week_start(item.triggered_at)
        for name in TREND_DURATIONS:
            value = item.duration(name)
            if value is not None:
                buckets[(week, item.severity, name)].append(value)
    points = []
    for week in weeks(scope):
        for sev in SEVERITIES:
            for name in TREND_DURATIONS:
                values = buckets.get((week, sev, name), [])
                points.append(
                    WeekPoint(
                        week=week,
                        series=series_name(sev, name),
                        value=percentile(values, 0.5),
                        count=len(values),
                    )
                )
    return tuple(points)


def week_start(moment: datetime) -> date:
    """The Monday (UTC) of the ISO week ``moment`` falls in."""
    day = moment.date() if moment.tzinfo is None else moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def weeks(scope: KpiScope) -> list[date]:
    """Every ISO week (its Monday) that overlaps ``[scope.start, scope.end)``."""
    first = week_start(scope.start)
    last = week_start(scope.end - timedelta(microseconds=1))
    return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def _targets(matrix: SeverityMatrix, severity: str) -> dict[str, int | None]:
    """Targets in seconds; time to mitigate and detect have none in the matrix."""
    try:
        level = matrix.level(severity)
    except ValueError:  # a severity the configured matrix dropped
        return {}
    return {
        "mtta": _seconds(level.mtta),
        "mttr": _seconds(level.mttr),
    }


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def _durations(members: Iterable[IncidentTimes], name: str) -> list[float]:
    return [v for v in (m.duration(name) for m in members) if v is not None]


def _figure_keys(name: str, value: DurationFigure) -> dict[str, Any]:
    return {
        f"{name}_count": value.count,
        f"{name}_p50_seconds": value.p50_seconds,
        f"{name}_p90_seconds": value.p90_seconds,
        f"{name}_target_seconds": value.target_seconds,
        f"{name}_met_share": value.met_share,
    }


def _cell(value: Any) -> Cell:
    return value if value is None or isinstance(value, str | int | float) else str(value)
