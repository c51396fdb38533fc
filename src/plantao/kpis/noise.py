"""Alert noise: how many alerts make an incident, which ones nobody had to touch, which flap,
and which alert names are the loudest (000/001: alerts worth waking for, issue 14).

Why these four: a high alerts-per-incident means grouping or thresholds are off; incidents
resolved by their alerts before anyone acknowledged them paged people for nothing; flapping
alerts and reopened incidents are the same alert crying wolf; the top names say where to start.

Where each figure comes from (never the alerts table: a year is millions of rows):

* alerts per incident (p50, p90, mean) and flaps: ``kpi_incident_rollups``, kept current by the
  engine (``kpis.rollups``). Incidents with no alert (declared by hand) are left out of the
  alerts-per-incident figures, and so is an incident whose rollup is not computed yet;
* auto-resolved without acknowledgement: resolved (``resolved_at`` set), never acknowledged
  (``acknowledged_at`` NULL), and the *last* ``incident.resolved`` timeline entry was written by
  an integration (``integration:<slug>``: all its alerts resolved), not by a person;
* reopenings: ``incident.triggered`` timeline entries that carry a ``from`` state (the opening
  entry carries none, a snooze ending has its own kind);
* top noisy alert names: ``kpi_alert_name_counts`` summed over the scope, top 10 by alerts.

The scope is the usual one (``kpis.selection``: incidents triggered in the period); weekly
trends put an incident in the week it was triggered in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import DateTime, func, select, type_coerce
from sqlalchemy.orm import Session

from plantao.incidents.models import Incident, TimelineEntry
from plantao.kpis.models import KpiAlertNameCount, KpiIncidentRollup
from plantao.kpis.response import week_start, weeks
from plantao.kpis.scope import KpiScope
from plantao.kpis.selection import incident_ids, scoped
from plantao.kpis.shapes import Cell, KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import percentile, share

#: How many alert names the "top noisy" table lists.
TOP_NAMES = 10
#: Actor prefix of lifecycle moves made by an integration's alerts (``alerts.placement``).
INTEGRATION_ACTOR = "integration:"
#: Weekly series, in the order charts draw them.
SERIES = ("alerts_per_incident", "auto_resolved_unacked", "reopened_incidents")


class IncidentNoise(NamedTuple):
    """What the noise figures need of one incident (read once, reduced in Python).

    ``triggered_at`` without an offset (SQLite, read without the column type's conversion)
    is UTC."""

    incident_id: int
    triggered_at: datetime
    resolved: bool
    alerts: int | None
    flaps: int | None


@dataclass(frozen=True)
class NoisyName:
    """One alert name over the scope: its alerts and the incidents it appeared in."""

    name: str
    alerts: int
    incidents: int


@dataclass(frozen=True)
class NoiseReport:
    """Alert noise of one scope."""

    scope: KpiScope
    incidents: int
    alert_incidents: int
    alerts: int
    alerts_p50: float | None
    alerts_p90: float | None
    alerts_mean: float | None
    resolved: int
    auto_resolved_unacked: int
    flapping_incidents: int
    flaps: int
    reopened_incidents: int
    reopenings: int
    top_names: tuple[NoisyName, ...]
    trends: tuple[WeekPoint, ...]

    @property
    def auto_resolved_share(self) -> float | None:
        """Of the resolved incidents, the share nobody acknowledged before the alerts did."""
        return share(self.auto_resolved_unacked, self.resolved)

    @property
    def reopened_share(self) -> float | None:
        return share(self.reopened_incidents, self.incidents)

    def summary(self) -> dict[str, Cell]:
        return {
            "incidents": self.incidents,
            "incidents_with_alerts": self.alert_incidents,
            "alerts": self.alerts,
            "alerts_per_incident_p50": self.alerts_p50,
            "alerts_per_incident_p90": self.alerts_p90,
            "alerts_per_incident_mean": self.alerts_mean,
            "resolved": self.resolved,
            "auto_resolved_unacked": self.auto_resolved_unacked,
            "auto_resolved_unacked_share": self.auto_resolved_share,
            "flapping_incidents": self.flapping_incidents,
            "flaps": self.flaps,
            "reopened_incidents": self.reopened_incidents,
            "reopenings": self.reopenings,
            "reopened_share": self.reopened_share,
        }

    def as_api(self) -> dict[str, Any]:
        """A JSON body for an API route: the summary, the top names and the weekly trend."""
        return {
            **self.scope.query(),
            "summary": self.summary(),
            "top_alert_names": [
                {"name": n.name, "alerts": n.alerts, "incidents": n.incidents}
                for n in self.top_names
            ],
            "weekly": week_table("noise_weekly", self.trends).records(),
        }

    def section(self) -> Section:
        summary = self.summary()
        return Section(
            name="noise",
            tables=(
                KpiTable(
                    name="noise_summary",
                    columns=tuple(summary),
                    rows=(tuple(summary.values()),),
                ),
                KpiTable(
                    name="noise_top_alert_names",
                    columns=("name", "alerts", "incidents"),
                    rows=tuple((n.name, n.alerts, n.incidents) for n in self.top_names),
                ),
                week_table("noise_weekly", self.trends),
            ),
            trends=self.trends,
            headline={
                "alerts_per_incident_p50": self.alerts_p50,
                "auto_resolved_unacked_share": self.auto_resolved_share,
                "reopened_incidents": self.reopened_incidents,
            },
        )


def compute(session: Session, scope: KpiScope) -> NoiseReport:
    """Alert noise of ``scope``: five set-based queries, reduced in Python."""
    # Core execution (``session.connection()``): a year is 50,000 rows of plain columns, and
    # the ORM's per-row bookkeeping cost more than the query.
    rows = [
        IncidentNoise(*row)
        for row in session.connection().execute(
            scoped(
                scope,
                Incident.id,
                type_coerce(Incident.triggered_at, DateTime(timezone=True)),
                Incident.resolved_at.is_not(None),
                KpiIncidentRollup.alerts,
                KpiIncidentRollup.flaps,
            ).outerjoin(KpiIncidentRollup, KpiIncidentRollup.incident_id == Incident.id)
        )
    ]
    return from_rows(
        scope,
        rows,
        auto_resolved=_auto_resolved_unacked(session, scope),
        reopenings=_reopenings(session, scope),
        top_names=_top_names(session, scope),
    )


def from_rows(
    scope: KpiScope,
    rows: Sequence[IncidentNoise],
    *,
    auto_resolved: set[int],
    reopenings: dict[int, int],
    top_names: Sequence[NoisyName],
) -> NoiseReport:
    """The figures of already-read rows (pure: the database part is only the reading)."""
    counted = [r.alerts for r in rows if r.alerts]
    values = [float(n) for n in counted]
    in_scope = {r.incident_id for r in rows}
    auto = auto_resolved & in_scope
    reopened = {i: n for i, n in reopenings.items() if i in in_scope and n > 0}
    return NoiseReport(
        scope=scope,
        incidents=len(rows),
        alert_incidents=len(counted),
        alerts=sum(counted),
        alerts_p50=percentile(values, 0.5),
        alerts_p90=percentile(values, 0.9),
        alerts_mean=sum(values) / len(values) if values else None,
        resolved=sum(1 for r in rows if r.resolved),
        auto_resolved_unacked=len(auto),
        flapping_incidents=sum(1 for r in rows if r.flaps),
        flaps=sum(r.flaps or 0 for r in rows),
        reopened_incidents=len(reopened),
        reopenings=sum(reopened.values()),
        top_names=tuple(top_names),
        trends=_weekly(scope, rows, auto, set(reopened)),
    )


def _weekly(
    scope: KpiScope, rows: Sequence[IncidentNoise], auto: set[int], reopened: set[int]
) -> tuple[WeekPoint, ...]:
    """Per ISO week: mean alerts per incident (count: incidents with alerts), and the
    auto-resolved and reopened incidents (count: incidents triggered that week)."""
    alerts: dict[date, list[int]] = defaultdict(list)
    triggered: Counter[date] = Counter()
    auto_by_week: Counter[date] = Counter()
    reopened_by_week: Counter[date] = Counter()
    by_day: dict[date, date] = {}
    for row in rows:
        day = _utc(row.triggered_at).astimezone(UTC).date()
        week = by_day.get(day)
        if week is None:
            week = by_day[day] = week_start(_utc(row.triggered_at))
        triggered[week] += 1
        if row.alerts:
            alerts[week].append(row.alerts)
        if row.incident_id in auto:
            auto_by_week[week] += 1
        if row.incident_id in reopened:
            reopened_by_week[week] += 1
    points: list[WeekPoint] = []
    for week in weeks(scope):
        counts = alerts.get(week, [])
        mean = sum(counts) / len(counts) if counts else None
        points.append(WeekPoint(week, SERIES[0], mean, len(counts)))
        points.append(WeekPoint(week, SERIES[1], float(auto_by_week[week]), triggered[week]))
        points.append(WeekPoint(week, SERIES[2], float(reopened_by_week[week]), triggered[week]))
    return tuple(points)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _auto_resolved_unacked(session: Session, scope: KpiScope) -> set[int]:
    """Resolved, never acknowledged, and last resolved by an integration (not a person)."""
    candidates = incident_ids(scope).where(
        Incident.resolved_at.is_not(None), Incident.acknowledged_at.is_(None)
    )
    last = (
        select(
            TimelineEntry.incident_id.label("incident_id"),
            func.max(TimelineEntry.id).label("entry_id"),
        )
        .where(
            TimelineEntry.incident_id.in_(candidates),
            TimelineEntry.kind == "incident.resolved",
        )
        .group_by(TimelineEntry.incident_id)
        .subquery()
    )
    found = session.scalars(
        select(last.c.incident_id)
        .join(TimelineEntry, TimelineEntry.id == last.c.entry_id)
        .where(TimelineEntry.actor.startswith(INTEGRATION_ACTOR, autoescape=True))
    )
    return {int(i) for i in found}


def _reopenings(session: Session, scope: KpiScope) -> dict[int, int]:
    """Incident id → how many times it was reopened (only incidents reopened at least once)."""
    reopen = TimelineEntry.data["from"].as_string()
    rows = session.execute(
        select(TimelineEntry.incident_id, func.count())
        .where(
            TimelineEntry.incident_id.in_(incident_ids(scope)),
            TimelineEntry.kind == "incident.triggered",
            reopen.is_not(None),
        )
        .group_by(TimelineEntry.incident_id)
    )
    return {int(i): int(n) for i, n in rows}


def _top_names(session: Session, scope: KpiScope) -> list[NoisyName]:
    """The loudest alert names of the scope (ties: by name, so the table is stable)."""
    total = func.sum(KpiAlertNameCount.alerts)
    rows = session.execute(
        select(KpiAlertNameCount.name, total, func.count())
        .where(KpiAlertNameCount.incident_id.in_(incident_ids(scope)))
        .group_by(KpiAlertNameCount.name)
        .order_by(total.desc(), KpiAlertNameCount.name)
        .limit(TOP_NAMES)
    )
    return [NoisyName(str(name), int(alerts), int(n)) for name, alerts, n in rows]
