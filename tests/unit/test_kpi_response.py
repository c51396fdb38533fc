"""The pure parts of the response KPIs: durations, ISO weeks, reduction without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from plantao.incidents.severity import SeverityMatrix
from plantao.kpis.response import IncidentTimes, from_times, week_start, weeks
from plantao.kpis.scope import KpiScope

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # a Sunday


def times(**offsets: float | None) -> IncidentTimes:
    def at(key: str) -> datetime | None:
        value = offsets.get(key)
        return None if value is None else T0 + timedelta(minutes=value)

    return IncidentTimes(
        severity="sev1",
        triggered_at=T0,
        first_alert_at=at("alert"),
        acknowledged_at=at("ack"),
        mitigated_at=at("mitigated"),
        resolved_at=at("resolved"),
    )


def test_each_duration_runs_between_its_two_moments() -> None:
    """MTTD alert->trigger, MTTA ->ack, mitigate ->mitigated, MTTR ->resolved."""
    item = times(alert=-2, ack=3, mitigated=10, resolved=30)
    assert [item.duration(n) for n in ("mttd", "mtta", "mttm", "mttr")] == [120, 180, 600, 1800]


def test_resolved_without_mitigating_counts_the_resolution_as_mitigation() -> None:
    """An incident resolved straight away was mitigated when it was resolved."""
    assert times(resolved=45).duration("mttm") == 2700


def test_missing_end_points_give_no_duration_and_skew_gives_zero() -> None:
    """No ack → no MTTA; an alert 'starting' after the trigger (sender clock skew) → MTTD 0."""
    item = times(alert=5)
    assert item.duration("mtta") is None and item.duration("mttr") is None
    assert item.duration("mttd") == 0.0
    with pytest.raises(ValueError, match="unknown duration"):
        item.duration("mtbf")


def test_weeks_are_iso_mondays_in_utc() -> None:
    """Sunday 23:30 UTC belongs to the week of the Monday six days before."""
    assert week_start(T0) == date(2026, 2, 23)
    assert week_start(T0 + timedelta(minutes=30)) == date(2026, 3, 2)


def test_a_scope_covers_every_week_it_overlaps_but_not_the_one_it_ends_at() -> None:
    """[Wed 4 Mar, Mon 16 Mar) overlaps the weeks of 2 and 9 March only."""
    scope = KpiScope(start=datetime(2026, 3, 4, tzinfo=UTC), end=datetime(2026, 3, 16, tzinfo=UTC))
    assert weeks(scope) == [date(2026, 3, 2), date(2026, 3, 9)]


def test_reduction_against_the_default_matrix() -> None:
    """Two sev1 incidents (ack 4 and 6 min): p50 300 s, half met the 5-minute target."""
    scope = KpiScope(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
    report = from_times(scope, [times(ack=4), times(ack=6, resolved=20)], SeverityMatrix())
    sev1 = report.by_severity[0]
    assert (sev1.incidents, sev1.mtta.p50_seconds, sev1.mtta.met_share) == (2, 300, 0.5)
    assert (sev1.mttr.count, sev1.mttr.met_share) == (1, 1.0)
    assert report.open["sev1"].unresolved == 1
    assert [r.severity for r in report.by_severity] == ["sev1", "sev2", "sev3", "sev4"]
