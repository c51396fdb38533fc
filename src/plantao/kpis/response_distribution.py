"""How acknowledge and resolve times spread: incidents per time range, per severity.

Why beside the medians: a p50 of 4 minutes can hide a long tail of incidents acknowledged
after an hour; the issue asks for distributions, and counting incidents per range shows the
tail the percentiles summarise. The ranges follow the severity matrix's default targets (5/15/60
minutes to acknowledge, 1/4/24 hours to resolve), so a bar boundary is a target boundary.

One grouped query per duration: the database computes the seconds (``kpis.epoch``), puts each
incident in its range with a ``CASE`` and counts (``GROUP BY severity, range``): a year of
incidents returns a few dozen rows. Incidents not yet acknowledged (resolved) are not in the
MTTA (MTTR) ranges, as in ``kpis.response``; every range is present, with 0 when empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.orm import Session

from plantao.incidents.models import Incident
from plantao.kpis.epoch import seconds_between
from plantao.kpis.scope import SEVERITIES, KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import Cell, KpiTable, Section

NAME = "response_distribution"
#: (upper bound in seconds, included; None = no bound, label): a duration equal to a target
#: met it, so it falls in the range that ends at the target. Labels read the same in English
#: and Portuguese and are also the CSV's values.
MTTA_RANGES: tuple[tuple[int | None, str], ...] = (
    (60, "<= 1 min"),
    (300, "1-5 min"),
    (900, "5-15 min"),
    (3600, "15-60 min"),
    (14400, "1-4 h"),
    (None, "> 4 h"),
)
MTTR_RANGES: tuple[tuple[int | None, str], ...] = (
    (900, "<= 15 min"),
    (3600, "15-60 min"),
    (14400, "1-4 h"),
    (86400, "4-24 h"),
    (604800, "1-7 d"),
    (None, "> 7 d"),
)


@dataclass(frozen=True)
class Distribution:
    """Incidents per range of one duration: ``counts[severity][i]`` for ``ranges[i]``."""

    duration: str
    ranges: tuple[tuple[int | None, str], ...]
    counts: dict[str, list[int]]

    def table(self) -> KpiTable:
        """``bucket, incidents, sev1..sev4``: all severities first (the histogram), then each."""
        rows: list[tuple[Cell, ...]] = []
        for i, (_bound, label) in enumerate(self.ranges):
            per = [self.counts[sev][i] for sev in SEVERITIES]
            rows.append((label, sum(per), *per))
        return KpiTable(
            name=f"{self.duration}_distribution",
            columns=("bucket", "incidents", *SEVERITIES),
            rows=tuple(rows),
        )


@dataclass(frozen=True)
class ResponseDistribution:
    mtta: Distribution
    mttr: Distribution

    def section(self) -> Section:
        return Section(name=NAME, tables=(self.mtta.table(), self.mttr.table()))


def bucket_of(seconds: float, ranges: Sequence[tuple[int | None, str]]) -> int:
    """The index of the range ``seconds`` falls in (pure: the SQL ``CASE`` does the same)."""
    for i, (bound, _label) in enumerate(ranges):
        if bound is None or seconds <= bound:
            return i
    return len(ranges) - 1


def _bucket_case(span: Any, ranges: Sequence[tuple[int | None, str]]) -> Any:
    whens = [(span <= bound, i) for i, (bound, _l) in enumerate(ranges) if bound is not None]
    return case(*whens, else_=len(ranges) - 1)


def _count(
    session: Session, scope: KpiScope, name: str, end: Any, ranges: Sequence[tuple[int | None, str]]
) -> Distribution:
    span = seconds_between(Incident.triggered_at, end)
    bucket = _bucket_case(span, ranges).label("bucket")
    query = (
        scoped(scope, Incident.severity, bucket, func.count())
        .where(end.is_not(None))
        .group_by(Incident.severity, bucket)
    )
    counts = {sev: [0] * len(ranges) for sev in SEVERITIES}
    for severity, index, n in session.execute(query).tuples():
        if severity in counts:
            counts[severity][int(index)] += int(n)
    return Distribution(duration=name, ranges=tuple(ranges), counts=counts)


def compute(session: Session, scope: KpiScope) -> ResponseDistribution:
    """Incidents of ``scope`` per range of time to acknowledge and to resolve."""
    return ResponseDistribution(
        mtta=_count(session, scope, "mtta", Incident.acknowledged_at, MTTA_RANGES),
        mttr=_count(session, scope, "mttr", Incident.resolved_at, MTTR_RANGES),
    )
