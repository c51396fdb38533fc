"""The KPI figures as plain values: what the API returns, the page charts and the CSV exports.

Why shared shapes: four readers (API, web page, CSV/JSON export, Prometheus metrics) show the
same figures; each section returns these frozen values and ``KpiTable`` rows, and never a
database row, so a figure is computed in exactly one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

Cell = str | int | float | None


@dataclass(frozen=True)
class KpiTable:
    """One exportable table: ``name`` is its file name (``response_by_severity``)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class DurationFigure:
    """p50/p90 of one duration (seconds) over ``count`` incidents, against the target."""

    count: int
    p50_seconds: float | None
    p90_seconds: float | None
    target_seconds: int | None
    met_share: float | None


@dataclass(frozen=True)
class SeverityResponse:
    """Response times of one severity: detect (MTTD), acknowledge, mitigate, resolve."""

    severity: str
    incidents: int
    mttd: DurationFigure
    mtta: DurationFigure
    mttm: DurationFigure
    mttr: DurationFigure


@dataclass(frozen=True)
class WeekPoint:
    """One point of a weekly trend: ``week`` is the Monday (UTC) starting the ISO week."""

    week: date
    series: str
    value: float | None
    count: int = 0


@dataclass(frozen=True)
class Count:
    """A labelled count with its share of the total (by severity, by root cause...)."""

    key: str
    count: int
    share: float | None


@dataclass(frozen=True)
class Section:
    """One KPI section: its tables (export), its weekly trends and its headline figures."""

    name: str
    tables: tuple[KpiTable, ...]
    trends: tuple[WeekPoint, ...] = ()
    headline: dict[str, Cell] = field(default_factory=dict)


def week_table(name: str, points: Sequence[WeekPoint]) -> KpiTable:
    """Trend points as a table (week, series, value, count) for export."""
    return KpiTable(
        name=name,
        columns=("week", "series", "value", "count"),
        rows=tuple((p.week.isoformat(), p.series, p.value, p.count) for p in points),
    )
