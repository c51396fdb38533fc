"""The pure parts of the response KPIs: reducing durations, ISO weeks, the epoch helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from plantao.incidents.severity import SeverityMatrix
from plantao.kpis.epoch import seconds, week_number_of, week_of
from plantao.kpis.response import IncidentDurations, from_rows, week_start, weeks
from plantao.kpis.scope import KpiScope

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # a Sunday
SCOPE = KpiScope(start=datetime(2026, 2, 23, tzinfo=UTC), end=datetime(2026, 3, 9, tzinfo=UTC))
WEEK1, WEEK2 = week_number_of(date(2026, 2, 23)), week_number_of(date(2026, 3, 2))


def row(sev: str, week: int, ack: float | None, res: float | None = None) -> IncidentDurations:
    return IncidentDurations(sev, week, None, ack, res, res)


def test_weeks_are_iso_mondays_in_utc() -> None:
    """Sunday 23:30 UTC belongs to the week of the Monday six days before."""
    assert week_start(T0) == date(2026, 2, 23)
    assert week_start(T0 + timedelta(minutes=30)) == date(2026, 3, 2)


def test_week_numbers_round_trip_to_mondays() -> None:
    """week_of(week_number_of(monday)) is that Monday; 1970-01-05 is week 0."""
    assert week_of(0) == date(1970, 1, 5)
    assert week_of(week_number_of(date(2026, 3, 2))) == date(2026, 3, 2)
    assert week_number_of(date(2026, 3, 8)) == week_number_of(date(2026, 3, 2))  # Sunday


def test_a_scope_covers_every_week_it_overlaps_but_not_the_one_it_ends_at() -> None:
    """[Wed 4 Mar, Mon 16 Mar) overlaps the weeks of 2 and 9 March only."""
    scope = KpiScope(start=datetime(2026, 3, 4, tzinfo=UTC), end=datetime(2026, 3, 16, tzinfo=UTC))
    assert weeks(scope) == [date(2026, 3, 2), date(2026, 3, 9)]


def test_durations_are_never_negative() -> None:
    """A sender's clock skew gives 0, not a negative duration; missing stays missing."""
    assert seconds(-4.0) == 0.0
    assert seconds(179.5) == 179.5
    assert seconds(None) is None
    scope_rows = [IncidentDurations("sev3", WEEK1, -30.0, -1.0, None, None)]
    sev3 = from_rows(SCOPE, scope_rows, SeverityMatrix()).by_severity[2]
    assert (sev3.mttd.p50_seconds, sev3.mtta.p50_seconds, sev3.mttr.count) == (0.0, 0.0, 0)


def test_reduction_against_the_default_matrix() -> None:
    """Two sev1 incidents (ack 4 and 6 min): p50 300 s, half met the 5-minute target."""
    report = from_rows(
        SCOPE, [row("sev1", WEEK2, 240, None), row("sev1", WEEK2, 360, 1200)], SeverityMatrix()
    )
    sev1 = report.by_severity[0]
    assert (sev1.incidents, sev1.mtta.p50_seconds, sev1.mtta.met_share) == (2, 300, 0.5)
    assert (sev1.mttr.count, sev1.mttr.met_share) == (1, 1.0)
    assert report.open["sev1"].unresolved == 1 and report.open["sev1"].unacknowledged == 0
    assert [r.severity for r in report.by_severity] == ["sev1", "sev2", "sev3", "sev4"]
    assert report.by_severity[3].mtta.target_seconds is None  # sev4 has no target


def test_weekly_points_cover_every_week_and_severity() -> None:
    """2 weeks x 4 severities x 2 series; the empty first week has None, not 0."""
    report = from_rows(SCOPE, [row("sev2", WEEK2, 600, 7200)], SeverityMatrix())
    points = {(p.week, p.series): (p.value, p.count) for p in report.trends}
    assert len(points) == 16
    assert points[(date(2026, 3, 2), "sev2 mtta_p50")] == (600, 1)
    assert points[(date(2026, 3, 2), "sev2 mttr_p50")] == (7200, 1)
    assert points[(date(2026, 2, 23), "sev2 mtta_p50")] == (None, 0)
