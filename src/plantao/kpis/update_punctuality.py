"""Status-update punctuality: did the next update come when the last one said it would?

Why judge the promise: every status update tells its readers "next update by HH:MM"
(``status_updates.next_update_due_at``: the severity's interval after posting, or the time the
poster chose; none at Sev4, none once resolved — see ``command.updates``). Stakeholders plan on
that time, so an update is *on time* when it was posted at or before the previous update's
``next_update_due_at`` plus :data:`GRACE` (a minute: the form takes a moment to submit).

Each promise ends in one of four ways, judged in this order:

* **on time**: the next update was posted by the due time (+ grace);
* **released**: no update by then, but the incident was resolved by the due time (+ grace):
  resolving stops the cadence, nothing more was owed — not counted;
* **late**: the next update came after the due time; its lateness is ``posted - due``;
* **missed**: no next update and the incident was not resolved by the due time, which has
  passed (``clock.now()``); a promise whose time has not come yet is **pending** — not counted.

The share on time is ``on_time / (on_time + late + missed)``; the median (and p90) lateness is
over the late updates. A severity change re-times the reminder (``command.cadence``) but not the
promise already published, so the published promise is what is judged. The initial update's
own deadline (Sev1: 5 min) belongs to the response figures, not here. Incidents are those of
the scope (triggered in the period), and an incident's promises go to the week it was triggered
in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from plantao import clock
from plantao.command.models import StatusUpdate
from plantao.incidents.models import Incident
from plantao.kpis.response import week_start, weeks
from plantao.kpis.scope import SEVERITIES, KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import Cell, KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import percentile, share

#: Slack allowed after the promised time before an update counts as late.
GRACE = timedelta(seconds=60)
ON_TIME, LATE, MISSED, RELEASED, PENDING = "on_time", "late", "missed", "released", "pending"
#: Weekly series, in the order charts draw them.
SERIES = ("on_time_share", "lateness_p50_seconds")
COLUMNS = (
    "severity",
    "updates",
    "promises",
    "on_time",
    "late",
    "missed",
    "on_time_share",
    "lateness_p50_seconds",
    "lateness_p90_seconds",
)


class PostedUpdate(NamedTuple):
    """One status update as the punctuality figures need it."""

    incident_id: int
    severity: str
    triggered_at: datetime
    resolved_at: datetime | None
    posted_at: datetime
    next_update_due_at: datetime | None


@dataclass(frozen=True)
class Verdict:
    """How one promise ended; ``lateness`` in seconds for late updates only."""

    severity: str
    week: date
    outcome: str
    lateness: float | None = None


def judge(updates: Sequence[PostedUpdate], now: datetime) -> list[Verdict]:
    """The verdict on every promise made by one incident's updates (in posting order)."""
    verdicts: list[Verdict] = []
    if not updates:
        return verdicts
    week = week_start(updates[0].triggered_at)  # one incident: one trigger, one week
    for index, update in enumerate(updates):
        due = update.next_update_due_at
        if due is None:
            continue
        following = updates[index + 1] if index + 1 < len(updates) else None
        resolved = update.resolved_at
        deadline = due + GRACE
        lateness = None
        if following is not None and following.posted_at <= deadline:
            outcome = ON_TIME
        elif resolved is not None and resolved <= deadline:
            outcome = RELEASED
        elif following is not None:
            outcome = LATE
            lateness = (following.posted_at - due).total_seconds()
        elif deadline < now:
            outcome = MISSED
        else:
            outcome = PENDING
        verdicts.append(Verdict(update.severity, week, outcome, lateness))
    return verdicts


@dataclass(frozen=True)
class Punctuality:
    """Counts and lateness of a set of verdicts (one severity, one week, or all)."""

    updates: int
    on_time: int
    late: int
    missed: int
    lateness_p50: float | None
    lateness_p90: float | None

    @property
    def promises(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def on_time_share(self) -> float | None:
        return share(self.on_time, self.promises)

    def row(self, label: str) -> tuple[Cell, ...]:
        return (
            label,
            self.updates,
            self.promises,
            self.on_time,
            self.late,
            self.missed,
            self.on_time_share,
            self.lateness_p50,
            self.lateness_p90,
        )


def tally(verdicts: Iterable[Verdict], updates: int) -> Punctuality:
    found = list(verdicts)
    late = [v.lateness for v in found if v.outcome == LATE and v.lateness is not None]
    return Punctuality(
        updates=updates,
        on_time=sum(1 for v in found if v.outcome == ON_TIME),
        late=len(late),
        missed=sum(1 for v in found if v.outcome == MISSED),
        lateness_p50=percentile(late, 0.5),
        lateness_p90=percentile(late, 0.9),
    )


@dataclass(frozen=True)
class PunctualityReport:
    """Status-update punctuality of one scope: overall, per severity, per week."""

    scope: KpiScope
    overall: Punctuality
    by_severity: dict[str, Punctuality]
    trends: tuple[WeekPoint, ...]

    def rows(self) -> tuple[tuple[Cell, ...], ...]:
        return (
            self.overall.row("all"),
            *(self.by_severity[sev].row(sev) for sev in SEVERITIES),
        )

    def as_api(self) -> dict[str, Any]:
        """A JSON body for an API route: one row for all and one per severity, the trend."""
        return {
            **self.scope.query(),
            "grace_seconds": int(GRACE.total_seconds()),
            "by_severity": [dict(zip(COLUMNS, row, strict=True)) for row in self.rows()],
            "weekly": week_table("update_punctuality_weekly", self.trends).records(),
        }

    def section(self) -> Section:
        return Section(
            name="update_punctuality",
            tables=(
                KpiTable("update_punctuality_by_severity", COLUMNS, self.rows()),
                week_table("update_punctuality_weekly", self.trends),
            ),
            trends=self.trends,
            headline={
                "on_time_share": self.overall.on_time_share,
                "lateness_p50_seconds": self.overall.lateness_p50,
                "missed": self.overall.missed,
            },
        )


def compute(session: Session, scope: KpiScope) -> PunctualityReport:
    """Punctuality of the scope's incidents' updates: one query, judged in Python."""
    rows = session.connection().execute(  # Core: no ORM bookkeeping per update
        scoped(
            scope,
            Incident.id,
            Incident.severity,
            Incident.triggered_at,
            Incident.resolved_at,
            StatusUpdate.posted_at,
            StatusUpdate.next_update_due_at,
        )
        .join(StatusUpdate, StatusUpdate.incident_id == Incident.id)
        .order_by(Incident.id, StatusUpdate.id)
    )
    return from_updates(scope, [PostedUpdate(*row) for row in rows], clock.now())


def from_updates(
    scope: KpiScope, updates: Sequence[PostedUpdate], now: datetime
) -> PunctualityReport:
    """The figures of already-read updates, ordered by incident then posting (pure)."""
    verdicts: list[Verdict] = []
    posted: dict[str, int] = defaultdict(int)
    for _, group in groupby(updates, key=lambda u: u.incident_id):
        mine = list(group)
        posted[mine[0].severity] += len(mine)
        verdicts.extend(judge(mine, now))
    by_severity = {
        sev: tally((v for v in verdicts if v.severity == sev), posted[sev]) for sev in SEVERITIES
    }
    by_week: dict[date, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        by_week[verdict.week].append(verdict)
    trends = []
    for week in weeks(scope):
        figures = tally(by_week.get(week, []), 0)
        trends.append(WeekPoint(week, SERIES[0], figures.on_time_share, figures.promises))
        trends.append(WeekPoint(week, SERIES[1], figures.lateness_p50, figures.late))
    return PunctualityReport(
        scope=scope,
        overall=tally(verdicts, len(updates)),
        by_severity=by_severity,
        trends=tuple(trends),
    )
