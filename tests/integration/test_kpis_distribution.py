"""Response-time distributions on a scripted history, both databases: incidents counted per
range of time to acknowledge and to resolve, a duration equal to a range's end (a target) in
that range, unacknowledged/unresolved incidents left out, the scope's filters applied.

The history (scope 2026-11-02 to 2026-11-16), minutes after triggering:

    A sev1 checkout  ack 1 (= 60 s: "<= 1 min")      resolved 15 (= 900 s: "<= 15 min")
    B sev1 checkout  ack 5 (= target: "1-5 min")     resolved 61 ("1-4 h")
    C sev1 site      ack 6 ("5-15 min")              resolved 600 (10 h: "4-24 h")
    D sev2 checkout  ack 90 ("1-4 h")                resolved 14400 (10 d: "> 7 d")
    E sev2 checkout  ack 300 (5 h: "> 4 h")          (open: not in MTTR)
    F sev3 site      (nothing yet: in neither)
    G sev1 checkout  ack 1, triggered before the scope: in neither
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import session_scope
from plantao.kpis import response_distribution as rd
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import Cell, KpiTable
from tests.factories.kpi_history import add_incident, apply_history_config

START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 16, tzinfo=UTC)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def history(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_history_config(factory)
    with session_scope(factory) as s:
        add_incident(s, "checkout", "sev1", at(2), ack=1, resolved=15)
        add_incident(s, "checkout", "sev1", at(3), ack=5, resolved=61)
        add_incident(s, "site", "sev1", at(4), ack=6, resolved=600)
        add_incident(s, "checkout", "sev2", at(5), ack=90, resolved=14400)
        add_incident(s, "checkout", "sev2", at(6), ack=300)
        add_incident(s, "site", "sev3", at(7))
        add_incident(s, "checkout", "sev1", datetime(2026, 11, 1, 9, tzinfo=UTC), ack=1)
    return factory


def records(table: KpiTable) -> dict[str, dict[str, Cell]]:
    return {str(r["bucket"]): r for r in table.records()}


def test_time_to_acknowledge_ranges_per_severity(history: sessionmaker[Session]) -> None:
    """A, B, C: one Sev1 each in "<= 1 min", "1-5 min", "5-15 min"; D, E: Sev2 in "1-4 h"
    and "> 4 h"; F (unacknowledged) and G (before) nowhere: 5 incidents in all."""
    with session_scope(history) as s:
        table = rd.compute(s, KpiScope(START, END)).section().tables[0]
    assert table.name == "mtta_distribution"
    assert table.columns == ("bucket", "incidents", "sev1", "sev2", "sev3", "sev4")
    rows = records(table)
    assert [r[0] for r in table.rows] == [label for _b, label in rd.MTTA_RANGES]
    assert (rows["<= 1 min"]["sev1"], rows["1-5 min"]["sev1"], rows["5-15 min"]["sev1"]) == (
        1,
        1,
        1,
    )
    assert (rows["1-4 h"]["sev2"], rows["> 4 h"]["sev2"]) == (1, 1)
    assert rows["15-60 min"]["incidents"] == 0
    assert sum(int(r[1] or 0) for r in table.rows) == 5


def test_time_to_resolve_ranges_leave_out_open_incidents(history: sessionmaker[Session]) -> None:
    """A "<= 15 min", B "1-4 h", C "4-24 h", D "> 7 d"; E is open: 4 incidents."""
    with session_scope(history) as s:
        table = rd.compute(s, KpiScope(START, END)).section().tables[1]
    rows = records(table)
    assert table.name == "mttr_distribution"
    assert [
        rows[b]["incidents"]
        for b in ("<= 15 min", "15-60 min", "1-4 h", "4-24 h", "1-7 d", "> 7 d")
    ] == [1, 0, 1, 1, 0, 1]
    assert rows["> 7 d"]["sev2"] == 1


def test_filters_apply_to_the_distribution(history: sessionmaker[Session]) -> None:
    """service=site keeps only C (MTTA 5-15 min); severity=sev2 only D and E."""
    with session_scope(history) as s:
        site = rd.compute(s, KpiScope(START, END, service="site")).section().tables[0]
        sev2 = rd.compute(s, KpiScope(START, END, severity="sev2")).section().tables[0]
    assert [r[1] for r in site.rows] == [0, 0, 1, 0, 0, 0]
    assert [r[1] for r in sev2.rows] == [0, 0, 0, 0, 1, 1]


def test_bucket_of_puts_a_target_in_the_range_it_ends() -> None:
    """300 s (the Sev1 target) is "1-5 min"; 301 s is "5-15 min"; a day is "> 4 h"."""
    assert rd.MTTA_RANGES[rd.bucket_of(300, rd.MTTA_RANGES)][1] == "1-5 min"
    assert rd.MTTA_RANGES[rd.bucket_of(301, rd.MTTA_RANGES)][1] == "5-15 min"
    assert rd.MTTA_RANGES[rd.bucket_of(86400, rd.MTTA_RANGES)][1] == "> 4 h"
