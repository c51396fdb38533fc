"""Response times per severity (detect, acknowledge, mitigate, resolve) against the matrix.

Why this shape: seed 002 §4 judges the response by severity against the targets of the
severity matrix in force (MTTA 5/15/60 min, MTTR per the matrix), so each severity gets its
medians, p90s and the share of incidents that met the target; the weekly medians show whether
it is getting better. One query returns, per incident of the scope, its severity, ISO week
and four durations in seconds, computed by the database (``kpis.epoch``) with the alert rollup
outer-joined for the first alert's start — never a title, so private incidents count without
showing; the percentiles are taken in Python with ``kpis.stats`` so both databases agree.

What each duration is (and which incidents it leaves out) is written in docs/kpis-figures.md:
a duration is counted only for incidents that reached its end point (an unacknowledged
incident has no MTTA yet); those are exposed as ``open`` counts instead of being guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import case, func, literal
from sqlalchemy.orm import Session

from plantao.db import is_postgres
from plantao.incidents.models import Incident
from plantao.incidents.severity import SeverityMatrix
from plantao.incidents.severity_config import severity_matrix
from plantao.kpis.epoch import seconds_between, week_number, week_number_of
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


class IncidentDurations(NamedTuple):
    """One incident as the database returns it: its severity, ISO week and four durations.

    Durations are seconds (None when the end point is not reached yet): MTTD from the first
    alert's start to the incident being triggered (Plantão's ``detected_at`` is itself the
    earliest alert start, so it cannot measure detection); MTTA to ``acknowledged_at``; time
    to mitigate to ``mitigated_at`` or, for incidents resolved straight away, ``resolved_at``;
    MTTR to ``resolved_at``. ``week`` is :func:`plantao.kpis.epoch.week_number`'s value.
    """

    severity: str
    week: int
    mttd: float | None
    mtta: float | None
    mttm: float | None
    mttr: float | None


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


def _durations() -> tuple[Any, ...]:
    """The four durations (seconds, never negative) as SQL expressions, in :data:`DURATIONS`."""
    triggered = Incident.triggered_at
    spans = (
        seconds_between(KpiIncidentRollup.first_alert_at, triggered),
        seconds_between(triggered, Incident.acknowledged_at),
        seconds_between(triggered, func.coalesce(Incident.mitigated_at, Incident.resolved_at)),
        seconds_between(triggered, Incident.resolved_at),
    )
    return tuple(case((span < 0, 0.0), else_=span) for span in spans)


def compute(session: Session, scope: KpiScope) -> ResponseReport:
    """The response report of ``scope``, against the severity matrix in force.

    On PostgreSQL the database takes the percentiles (``percentile_cont``: the same linear
    interpolation as ``kpis.stats``) and returns a few dozen rows; on SQLite, which has no
    percentile function, it returns per incident its severity, week and four durations as
    numbers and :func:`from_rows` reduces them. The integration tests hold both to the same
    hand-computed figures.
    """
    matrix = severity_matrix(session)
    if is_postgres(session):
        return _aggregated_by_postgres(session, scope, matrix)
    rows = (
        session.connection()
        .execute(
            scoped(
                scope, Incident.severity, week_number(Incident.triggered_at), *_durations()
            ).outerjoin(KpiIncidentRollup, KpiIncidentRollup.incident_id == Incident.id)
        )
        .tuples()
    )
    return from_rows(scope, rows, matrix)


def from_rows(
    scope: KpiScope, rows: Iterable[tuple[str, int, Any, Any, Any, Any]], matrix: SeverityMatrix
) -> ResponseReport:
    """The figures of already-read incidents (pure: unit-tested without a database).

    ``rows`` are :class:`IncidentDurations` (or plain tuples of the same shape); negative
    durations (sender clock skew) count as 0.
    """
    values: dict[str, tuple[list[float], ...]] = {sev: ([], [], [], []) for sev in SEVERITIES}
    incidents: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    trend: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
    for severity, week, *durations in rows:
        lists = values.get(severity)
        if lists is None:
            continue  # a severity outside sev1..sev4 cannot be stored (check constraint)
        incidents[severity] += 1
        cleaned = [d if d is None or d >= 0 else 0.0 for d in durations]  # = epoch.seconds
        for bucket, value in zip(lists, cleaned, strict=True):
            if value is not None:
                bucket.append(value)
        weekly_lists = trend.setdefault((week, severity), ([], []))
        if cleaned[1] is not None:
            weekly_lists[0].append(cleaned[1])
        if cleaned[3] is not None:
            weekly_lists[1].append(cleaned[3])
    figures = {
        sev: {
            name: figure(found, _targets(matrix, sev).get(name))
            for name, found in zip(DURATIONS, values[sev], strict=True)
        }
        for sev in SEVERITIES
    }
    medians = {
        key: tuple((percentile(found, 0.5), len(found)) for found in lists)
        for key, lists in trend.items()
    }
    return _report(scope, incidents, figures, medians)


def _aggregated_by_postgres(
    session: Session, scope: KpiScope, matrix: SeverityMatrix
) -> ResponseReport:
    """The same figures as :func:`from_rows`, with the reduction done by PostgreSQL."""
    durations = _durations()
    targets = {name: _target_case(matrix, name) for name in ("mtta", "mttr")}
    columns: list[Any] = [Incident.severity, func.count()]
    for name, span in zip(DURATIONS, durations, strict=True):
        target = targets.get(name)
        met = func.count().filter(span <= target) if target is not None else literal(None)
        columns += [
            func.count(span),
            func.percentile_cont(0.5).within_group(span),
            func.percentile_cont(0.9).within_group(span),
            met,
        ]
    joined = (
        scoped(scope, *columns)
        .outerjoin(KpiIncidentRollup, KpiIncidentRollup.incident_id == Incident.id)
        .group_by(Incident.severity)
    )
    incidents: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    figures: dict[str, dict[str, DurationFigure]] = {
        sev: {name: figure([], _targets(matrix, sev).get(name)) for name in DURATIONS}
        for sev in SEVERITIES
    }
    for severity, total, *stats in session.connection().execute(joined):
        if severity not in incidents:
            continue
        incidents[severity] = total
        for index, name in enumerate(DURATIONS):
            count, p50, p90, met = stats[4 * index : 4 * index + 4]
            target = _targets(matrix, severity).get(name)
            figures[severity][name] = DurationFigure(
                count=count,
                p50_seconds=p50,
                p90_seconds=p90,
                target_seconds=target,
                met_share=None if target is None or not count else met / count,
            )
    week = week_number(Incident.triggered_at)
    mtta, mttr = durations[1], durations[3]
    weekly = scoped(
        scope,
        week,
        Incident.severity,
        func.percentile_cont(0.5).within_group(mtta),
        func.count(mtta),
        func.percentile_cont(0.5).within_group(mttr),
        func.count(mttr),
    ).group_by(week, Incident.severity)
    medians: dict[tuple[int, str], tuple[tuple[float | None, int], ...]] = {
        (number, severity): ((a50, a_n), (r50, r_n))
        for number, severity, a50, a_n, r50, r_n in session.connection().execute(weekly)
    }
    return _report(scope, incidents, figures, medians)


def _report(
    scope: KpiScope,
    incidents: dict[str, int],
    figures: dict[str, dict[str, DurationFigure]],
    medians: dict[tuple[int, str], tuple[tuple[float | None, int], ...]],
) -> ResponseReport:
    by_severity = []
    still_open = {}
    for sev in SEVERITIES:
        count = incidents[sev]
        found = figures[sev]
        by_severity.append(SeverityResponse(severity=sev, incidents=count, **found))
        still_open[sev] = OpenCounts(
            unacknowledged=count - found["mtta"].count,
            unmitigated=count - found["mttm"].count,
            unresolved=count - found["mttr"].count,
        )
    return ResponseReport(
        scope=scope,
        by_severity=tuple(by_severity),
        open=still_open,
        trends=_weekly(scope, medians),
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


def _weekly(
    scope: KpiScope, medians: dict[tuple[int, str], tuple[tuple[float | None, int], ...]]
) -> tuple[WeekPoint, ...]:
    """MTTA and MTTR p50 per ISO week (Monday, UTC) and severity, every week of the scope.

    Weeks without incidents are present with ``value=None`` so a chart shows the gap instead of
    drawing a line across it; an incident belongs to the week it was triggered in.
    """
    points = []
    empty = ((None, 0), (None, 0))
    for week in weeks(scope):
        number = week_number_of(week)
        for sev in SEVERITIES:
            found = medians.get((number, sev), empty)
            for name, (value, count) in zip(TREND_DURATIONS, found, strict=True):
                points.append(
                    WeekPoint(week=week, series=series_name(sev, name), value=value, count=count)
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


def _target_case(matrix: SeverityMatrix, name: str) -> Any:
    """``CASE severity WHEN 'sev1' THEN 300 ... END``: the target of each incident's severity."""
    whens = [
        (Incident.severity == sev, target)
        for sev in SEVERITIES
        if (target := _targets(matrix, sev).get(name)) is not None
    ]
    return case(*whens, else_=None) if whens else None


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
