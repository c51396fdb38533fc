"""Learning KPIs (counts, root causes, change-caused, runbook coverage, adherence), both databases.

Scope: Monday 2026-11-02 to Monday 2026-11-16; the clock is frozen at 2026-11-22 12:00 UTC.

    P sev1 checkout 11-02 10:00  changes checkout 09:30 v1.2.0 and 10:00 v1.2.1 (at the very
         moment: counts, and is the latest)                             cause change_code
         PM due 11-04 10:00 published 11-03 (on time); annotation runbook; action due 11-05
         done 11-05 15:00 (on time)
    Q sev1 checkout 11-03 10:00  PM names change "hotfix" of 10-30 (outside every window)
         cause change_config; PM due 11-05 10:00 published 11-06 (late); suggestions rb-a
         (confirmed) and rb-b; actions due 11-06 done 11-07 (late), due 11-08 wont_do
    R sev2 orders   11-04 12:00  change orders 11:00 v2.0 (exactly an hour: counts), change
         checkout 11:45 (other service: ignored); no PM; suggestion rb-c unconfirmed
    S sev3 site     11-10 08:00  private; changes site 06:59:59 (an hour and a second: no)
         and 08:01 (after the trigger: no)
         cause capacity; PM due 11-12 08:00 unpublished (late, overdue); manual runbook;
         action due 11-13 open (late, overdue)
    T sev2 checkout 11-11 12:00  changes checkout 11:30 v1.3.0 and 11:50 v1.3.1 (latest wins)
         PM due 11-30 unpublished, no cause (pending, unclassified); actions due 11-15 done
         11-14 (on time) and due 11-15 in_progress (late, overdue)
    U sev1 checkout 11-16 00:00  outside the scope; its actions due 11-15 done 11-15 10:00
         (counted: actions are selected by due date), due 11-16 open (not in the period) and
         due 11-15 done 11-15 23:30 in São Paulo = 11-16 02:30 UTC (late: UTC dates)
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import session_scope
from plantao.kpis import adherence, change_caused, incident_counts, runbook_coverage
from plantao.kpis.scope import KpiScope
from tests.factories.kpi_history import (
    add_action,
    add_change,
    add_incident,
    add_postmortem,
    add_runbook_link,
    apply_history_config,
)

START = datetime(2026, 11, 2, tzinfo=UTC)
END = datetime(2026, 11, 16, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def script(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as s:
        add_change(s, "checkout", at(2, 9, 30), details={"version": "1.2.0"})
        hotfix = add_change(s, "checkout", at(30, 8, month=10), summary="hotfix")
        add_change(s, "orders", at(4, 11), details={"custom_details": {"version": "2.0"}})
        add_change(s, "checkout", at(4, 11, 45), details={"version": "9.9"})
        add_change(s, "site", at(10, 6, 59, 59), details={"version": "3.0"})
        add_change(s, "site", at(10, 8, 1), details={"version": "3.1"})  # after S: not a cause
        add_change(s, "checkout", at(2, 10), details={"version": "1.2.1"})  # at P's trigger
        add_change(s, "checkout", at(11, 11, 30), details={"version": "1.3.0"})
        add_change(s, "checkout", at(11, 11, 50), details={"version": "1.3.1"})

        p = add_incident(s, "checkout", "sev1", at(2, 10))
        pm = add_postmortem(s, p, due_at=at(4, 10), published_at=at(3, 9), root_cause="change_code")
        add_runbook_link(s, p, "rb-db", "annotation")
        add_action(s, pm, p, date(2026, 11, 5), status="done", done_at=at(5, 15))

        q = add_incident(s, "checkout", "sev1", at(3, 10))
        pm = add_postmortem(
            s, q, due_at=at(5, 10), published_at=at(6, 9), root_cause="change_config",
            cause_change_id=hotfix.id,
        )  # fmt: skip
        add_runbook_link(s, q, "rb-a", "suggestion", confirmed_at=at(3, 10, 20))
        add_runbook_link(s, q, "rb-b", "suggestion")
        add_action(s, pm, q, date(2026, 11, 6), status="done", done_at=at(7, 9))
        add_action(s, pm, q, date(2026, 11, 8), status="wont_do")

        r = add_incident(s, "orders", "sev2", at(4, 12))
        add_runbook_link(s, r, "rb-c", "suggestion")

        s_ = add_incident(s, "site", "sev3", at(10, 8), private=True, title="Secret merger")
        pm = add_postmortem(s, s_, due_at=at(12, 8), root_cause="capacity")
        add_runbook_link(s, s_, "rb-d", "manual")
        add_action(s, pm, s_, date(2026, 11, 13))

        t = add_incident(s, "checkout", "sev2", at(11, 12))
        pm = add_postmortem(s, t, due_at=at(30, 12))
        add_action(s, pm, t, date(2026, 11, 15), status="done", done_at=at(14, 18))
        add_action(s, pm, t, date(2026, 11, 15), status="in_progress")

        u = add_incident(s, "checkout", "sev1", at(16, 0))
        pm = add_postmortem(s, u, due_at=at(17, 0), published_at=at(20, 0))
        add_action(s, pm, u, date(2026, 11, 15), status="done", done_at=at(15, 10))
        add_action(s, pm, u, date(2026, 11, 16))
        sao_paulo = timezone(timedelta(hours=-3))  # 23:30 on the due date there: 02:30 UTC after
        late_evening = datetime(2026, 11, 15, 23, 30, tzinfo=sao_paulo)
        add_action(s, pm, u, date(2026, 11, 15), status="done", done_at=late_evening)


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_history_config(factory)
    script(factory)
    return factory


def api(db: sessionmaker[Session], module: ModuleType, **filters: str) -> dict[str, Any]:
    with session_scope(db) as s:
        result = module.compute(s, KpiScope(start=START, end=END, **filters))
        body: dict[str, Any] = result.as_api()
        json.dumps(body)  # every figure is plain JSON
        return body


def test_incident_counts_by_severity_root_cause_service_and_week(db: sessionmaker[Session]) -> None:
    """5 incidents: sev1 2, sev2 2, sev3 1; causes 1/1/1 and 2 unclassified; weekly counts."""
    body = api(db, incident_counts)
    assert body["incidents"] == 5
    assert body["by_severity"] == [
        {"severity": "sev1", "incidents": 2, "share": 0.4},
        {"severity": "sev2", "incidents": 2, "share": 0.4},
        {"severity": "sev3", "incidents": 1, "share": 0.2},
        {"severity": "sev4", "incidents": 0, "share": 0.0},
    ]
    causes = {c["root_cause"]: c["incidents"] for c in body["by_root_cause"]}
    assert causes["change_code"] == causes["change_config"] == causes["capacity"] == 1
    assert causes["unclassified"] == 2  # R has no postmortem, T's names no cause
    assert sum(causes.values()) == 5 and len(causes) == 9  # 8 taxonomy causes + unclassified
    assert [(c["service"], c["incidents"]) for c in body["by_service"]] == [
        ("checkout", 3),
        ("orders", 1),
        ("site", 1),
    ]
    weekly = {(w["week"], w["severity"]): w["incidents"] for w in body["weekly"]}
    assert len(weekly) == 8
    assert weekly[("2026-11-02", "sev1")] == 2 and weekly[("2026-11-02", "sev2")] == 1
    assert weekly[("2026-11-09", "sev2")] == 1 and weekly[("2026-11-09", "sev3")] == 1
    assert weekly[("2026-11-09", "sev1")] == 0


def test_change_caused_share_per_service_and_release(db: sessionmaker[Session]) -> None:
    """P, Q (named), R (exactly an hour) and T (latest change) are change-caused: 4/5."""
    body = api(db, change_caused)
    assert (body["incidents"], body["change_caused"], body["share"]) == (5, 4, 0.8)
    assert body["named_in_postmortem"] == 1
    assert body["by_service"] == [
        {"service": "checkout", "incidents": 3, "change_caused": 3, "share": 1.0},
        {"service": "orders", "incidents": 1, "change_caused": 1, "share": 1.0},
        {"service": "site", "incidents": 1, "change_caused": 0, "share": 0.0},
    ]
    assert body["by_release"] == [
        {"service": "checkout", "release": "1.2.1", "incidents": 1},
        {"service": "checkout", "release": "1.3.1", "incidents": 1},
        {"service": "checkout", "release": "hotfix", "incidents": 1},  # summary: no version
        {"service": "orders", "release": "2.0", "incidents": 1},
    ]
    weekly = [(w["week"], w["share"], w["incidents"]) for w in body["weekly"]]
    assert weekly == [("2026-11-02", 1.0, 3), ("2026-11-09", 0.5, 2)]  # P Q R; S no, T yes


def test_runbook_coverage_and_usefulness(db: sessionmaker[Session]) -> None:
    """P, Q, S have a linked/confirmed runbook (3/5); 1 of 3 suggestions was confirmed."""
    body = api(db, runbook_coverage)
    assert (body["incidents"], body["with_runbook"], body["without_runbook"]) == (5, 3, 2)
    assert (body["coverage"], body["with_confirmed_runbook"]) == (0.6, 1)
    assert body["confirmed_coverage"] == 0.2
    assert (body["suggested"], body["suggested_confirmed"]) == (3, 1)
    assert body["usefulness"] == pytest.approx(1 / 3)
    by_service = {s["service"]: s for s in body["by_service"]}
    assert by_service["checkout"]["coverage"] == pytest.approx(2 / 3)  # P, Q of P, Q, T
    assert (by_service["orders"]["coverage"], by_service["site"]["coverage"]) == (0.0, 1.0)
    weekly = [(w["week"], w["coverage"]) for w in body["weekly"]]
    assert weekly == [("2026-11-02", pytest.approx(2 / 3)), ("2026-11-09", 0.5)]


def test_rca_and_action_adherence(db: sessionmaker[Session]) -> None:
    """RCA: P on time, Q and S late, T pending → 1/3; actions: 3 on time of 7 decided → 3/7."""
    body = api(db, adherence)
    assert body["rca"] == {
        "owed": 4, "on_time": 1, "late": 2, "pending": 1, "overdue": 1, "dropped": 0,
        "share": pytest.approx(1 / 3),
    }  # fmt: skip
    # P on time, Q late, Q wont_do, S late (open), T on time, T late (open), U on time,
    # U late (São Paulo evening = next UTC day)
    assert body["actions"] == {
        "owed": 8, "on_time": 3, "late": 4, "pending": 0, "overdue": 2, "dropped": 1,
        "share": pytest.approx(3 / 7),
    }  # fmt: skip


def test_filters_apply_to_every_learning_figure(db: sessionmaker[Session]) -> None:
    """team=web is S alone everywhere; severity=sev2 selects T's two actions only."""
    assert api(db, incident_counts, team="web")["incidents"] == 1
    assert api(db, change_caused, team="web")["change_caused"] == 0
    assert api(db, runbook_coverage, team="web")["coverage"] == 1.0
    web = api(db, adherence, team="web")
    assert web["rca"]["late"] == 1 and web["actions"]["overdue"] == 1
    sev2 = api(db, adherence, severity="sev2")["actions"]
    assert (sev2["owed"], sev2["on_time"], sev2["late"]) == (2, 1, 1)
    checkout = api(db, change_caused, service="checkout")
    assert (checkout["incidents"], checkout["change_caused"]) == (3, 3)


def test_sections_export_tables_without_private_titles(db: sessionmaker[Session]) -> None:
    """Every section's tables are plain rows; the private incident's title is in none."""
    with session_scope(db) as s:
        scope = KpiScope(start=START, end=END)
        sections = [
            m.compute(s, scope).section()
            for m in (incident_counts, change_caused, runbook_coverage, adherence)
        ]
    names = [t.name for sec in sections for t in sec.tables]
    assert names == [
        "incidents_by_severity", "incidents_by_root_cause", "incidents_by_service",
        "incidents_weekly", "change_caused_by_service", "change_caused_by_release",
        "change_caused_weekly", "runbook_coverage", "runbook_coverage_by_service",
        "runbook_coverage_weekly", "adherence",
    ]  # fmt: skip
    text = json.dumps([t.records() for sec in sections for t in sec.tables])
    assert "Secret" not in text and "scripted incident" not in text
    assert sections[3].headline == {
        "rca_share": pytest.approx(1 / 3),
        "action_share": pytest.approx(3 / 7),
        "overdue_actions": 2,
    }


def test_the_hour_before_is_exact_to_the_millisecond(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A change 1 h 0.1 s before is no cause; 59 min 59.9 s before is (both databases)."""
    apply_history_config(factory)
    ms = timedelta(milliseconds=100)
    with session_scope(factory) as s:
        first = datetime(2026, 11, 18, 12, 0, 0, 500000, tzinfo=UTC)
        add_incident(s, "orders", "sev3", first)
        add_change(s, "orders", first - timedelta(hours=1) - ms, details={"version": "old"})
        second = first + timedelta(days=1)
        add_incident(s, "orders", "sev3", second)
        add_change(s, "orders", second - timedelta(hours=1) + ms, details={"version": "new"})
    with session_scope(factory) as s:
        scope = KpiScope(
            start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 23, tzinfo=UTC)
        )
        body = change_caused.compute(s, scope).as_api()
    assert (body["incidents"], body["change_caused"]) == (2, 1)
    assert body["by_release"] == [{"service": "orders", "release": "new", "incidents": 1}]
