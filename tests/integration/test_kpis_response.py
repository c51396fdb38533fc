"""Response KPIs (MTTD, MTTA, time to mitigate, MTTR) on a scripted history, both databases.

The history (scope: Monday 2026-11-02 to Monday 2026-11-16, two ISO weeks), minutes after
triggering; default matrix targets: sev1 MTTA 5 min / MTTR 60 min, sev2 15 min / 4 h,
sev3 1 h / 24 h, sev4 none:

    A sev1 checkout 11-02 10:00  ack 3   mitigated 20  resolved 50   first alert 09:58
    B sev1 checkout 11-03 10:00  ack 7   (no mitigated) resolved 90  first alert 09:55
    C sev1 site     11-10 08:00  ack 4   mitigated 30  resolved 40   private, no alerts
    D sev2 checkout 11-04 12:00  ack 10                resolved 300
    E sev2 checkout 11-11 12:00  ack 20                (open)
    F sev3 site     11-05 00:00  (nothing yet)
    G sev1 checkout 11-01 23:59  before the scope;  H sev1 checkout 11-16 00:00 = end: excluded
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import session_scope
from plantao.kpis import response, rollups
from plantao.kpis.scope import KpiScope
from tests.factories.kpi_history import add_alert, add_incident, apply_history_config

START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 16, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def script(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        a = add_incident(s, "checkout", "sev1", at(2, 10), ack=3, mitigated=20, resolved=50)
        add_alert(s, a, at(2, 9, 58))
        b = add_incident(s, "checkout", "sev1", at(3, 10), ack=7, resolved=90)
        add_alert(s, b, at(3, 9, 55))
        add_alert(s, b, at(3, 9, 57), name="Later")  # not the first: MTTD starts at 09:55
        add_incident(
            s, "site", "sev1", at(10, 8), ack=4, mitigated=30, resolved=40, private=True,
            title="Secret merger outage",
        )  # fmt: skip
        add_incident(s, "checkout", "sev2", at(4, 12), ack=10, resolved=300)
        add_incident(s, "checkout", "sev2", at(11, 12), ack=20)
        add_incident(s, "site", "sev3", at(5, 0))
        add_incident(s, "checkout", "sev1", at(1, 23, 59), ack=100)
        add_incident(s, "checkout", "sev1", at(16, 0), ack=100)
        rollups.refresh(s)


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_history_config(factory)
    script(factory)
    return factory


def report(db: sessionmaker[Session], **filters: str) -> response.ResponseReport:
    with session_scope(db) as s:
        return response.compute(s, KpiScope(start=START, end=END, **filters))


def rows(db: sessionmaker[Session], **filters: str) -> dict[str, dict[str, object]]:
    return {r["severity"]: r for r in report(db, **filters).as_api()["by_severity"]}


def test_sev1_figures_match_the_hand_computed_ones(db: sessionmaker[Session]) -> None:
    """sev1: medians, p90s (linear interpolation) and met shares of A, B, C as computed by hand."""
    sev1 = rows(db)["sev1"]
    assert sev1["incidents"] == 3
    # MTTA 180, 240, 420 s: p50 240; p90 rank 0.9*2 = 1.8 -> 240 + 0.8*180 = 384; <= 300: 2/3
    assert (sev1["mtta_p50_seconds"], sev1["mtta_p90_seconds"]) == (240, pytest.approx(384))
    assert sev1["mtta_target_seconds"] == 300
    assert sev1["mtta_met_share"] == pytest.approx(2 / 3)
    # MTTR 2400, 3000, 5400 s: p50 3000; p90 3000 + 0.8*2400 = 4920; <= 3600: 2/3
    assert (sev1["mttr_p50_seconds"], sev1["mttr_p90_seconds"]) == (3000, pytest.approx(4920))
    assert sev1["mttr_target_seconds"] == 3600
    assert sev1["mttr_met_share"] == pytest.approx(2 / 3)
    # mitigate: A 1200, B 5400 (resolved without a mitigated step), C 1800: p50 1800,
    # p90 1800 + 0.8*3600 = 4680; the matrix has no mitigate target
    assert (sev1["mttm_p50_seconds"], sev1["mttm_p90_seconds"]) == (1800, pytest.approx(4680))
    assert (sev1["mttm_target_seconds"], sev1["mttm_met_share"]) == (None, None)
    # MTTD (first alert start -> triggered): A 120, B 300 (09:55, not 09:57); C has no alerts
    # p50 210; p90 120 + 0.9*180 = 282
    assert sev1["mttd_count"] == 2
    assert (sev1["mttd_p50_seconds"], sev1["mttd_p90_seconds"]) == (210, pytest.approx(282))


def test_open_incidents_are_counted_but_left_out_of_the_durations(
    db: sessionmaker[Session],
) -> None:
    """sev2 E (unresolved) is in MTTA but not MTTR; sev3 F has no durations, only open counts."""
    by_sev = rows(db)
    sev2, sev3 = by_sev["sev2"], by_sev["sev3"]
    # MTTA 600, 1200: p50 900, p90 600 + 0.9*600 = 1140; target 900: only 600 met -> 1/2
    assert (sev2["incidents"], sev2["mtta_count"]) == (2, 2)
    assert (sev2["mtta_p50_seconds"], sev2["mtta_p90_seconds"]) == (900, pytest.approx(1140))
    assert sev2["mtta_met_share"] == 0.5
    # MTTR: only D, 300 min = 18000 s over the 4 h = 14400 s target
    assert (sev2["mttr_count"], sev2["mttr_p50_seconds"], sev2["mttr_met_share"]) == (
        1,
        18000,
        0.0,
    )
    assert (sev2["unacknowledged"], sev2["unmitigated"], sev2["unresolved"]) == (0, 1, 1)
    assert (sev3["incidents"], sev3["mtta_p50_seconds"], sev3["mtta_met_share"]) == (1, None, None)
    assert sev3["mtta_target_seconds"] == 3600
    assert (sev3["unacknowledged"], sev3["unresolved"]) == (1, 1)


def test_all_four_severities_are_always_listed(db: sessionmaker[Session]) -> None:
    """sev4 has no incidents and no targets but still has its row, in severity order."""
    api = report(db).as_api()["by_severity"]
    assert [r["severity"] for r in api] == ["sev1", "sev2", "sev3", "sev4"]
    sev4 = api[3]
    assert sev4["incidents"] == 0
    assert (sev4["mtta_target_seconds"], sev4["mttr_target_seconds"]) == (None, None)
    required = {
        "severity", "incidents", "mtta_p50_seconds", "mtta_p90_seconds", "mttr_p50_seconds",
        "mttr_p90_seconds", "mtta_target_seconds", "mttr_target_seconds", "mtta_met_share",
        "mttr_met_share",
    }  # fmt: skip
    assert all(required <= set(r) for r in api)


def test_service_team_and_severity_filters(db: sessionmaker[Session]) -> None:
    """team=web is C and F (via site's team); service=checkout is A, B, D, E; severity=sev2."""
    web = rows(db, team="web")
    assert [web[s]["incidents"] for s in ("sev1", "sev2", "sev3", "sev4")] == [1, 0, 1, 0]
    assert web["sev1"]["mtta_p50_seconds"] == 240
    checkout = rows(db, service="checkout")
    assert [checkout[s]["incidents"] for s in ("sev1", "sev2", "sev3")] == [2, 2, 0]
    assert checkout["sev1"]["mtta_p50_seconds"] == 300  # 180 and 420
    only_sev2 = rows(db, severity="sev2")
    assert [only_sev2[s]["incidents"] for s in ("sev1", "sev2")] == [0, 2]
    assert rows(db, team="nobody")["sev1"]["incidents"] == 0


def test_weekly_medians_per_severity(db: sessionmaker[Session]) -> None:
    """Two ISO weeks x 4 severities x (MTTA, MTTR) points; empty weeks have None."""
    points = {(p.week, p.series): (p.value, p.count) for p in report(db).trends}
    assert len(points) == 16
    first, second = date(2026, 11, 2), date(2026, 11, 9)
    assert points[(first, "sev1 mtta_p50")] == (300, 2)  # A 180, B 420
    assert points[(first, "sev1 mttr_p50")] == (4200, 2)  # A 3000, B 5400
    assert points[(second, "sev1 mtta_p50")] == (240, 1)  # C
    assert points[(first, "sev2 mttr_p50")] == (18000, 1)  # D
    assert points[(second, "sev2 mttr_p50")] == (None, 0)  # E unresolved
    assert points[(second, "sev4 mtta_p50")] == (None, 0)


def test_the_matrix_in_force_sets_the_targets(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A matrix with a 3-minute sev1 MTTA makes only A (180 s) meet it: 1/3."""
    apply_history_config(
        factory, "severity_matrix:\n  levels:\n    - {name: sev1, mtta_minutes: 3}\n"
    )
    script(factory)
    sev1 = rows(factory)["sev1"]
    assert sev1["mtta_target_seconds"] == 180
    assert sev1["mtta_met_share"] == pytest.approx(1 / 3)
    assert sev1["mttr_target_seconds"] == 3600  # not overridden: the default stays


def test_private_titles_never_appear_and_section_exports(db: sessionmaker[Session]) -> None:
    """The private incident counts, but no title reaches the API body or the export tables."""
    result = report(db)
    section = result.section()
    text = json.dumps(result.as_api()) + json.dumps([t.records() for t in section.tables])
    assert "Secret" not in text and "scripted incident" not in text
    names = [t.name for t in section.tables]
    assert names == ["response_by_severity", "response_weekly"]
    by_sev = section.tables[0].records()
    assert [r["incidents"] for r in by_sev] == [3, 2, 1, 0]
    assert section.headline == {"incidents": 6, "unacknowledged": 1, "unresolved": 2}
