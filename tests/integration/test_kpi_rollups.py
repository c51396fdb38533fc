"""The KPI alert rollups: counts, flaps, first start and names per incident, kept current."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import session_scope
from plantao.engine.kpi_rollup_step import KpiRollupStep
from plantao.kpis import rollups
from plantao.kpis.models import KpiAlertNameCount, KpiIncidentRollup
from tests.factories.config import apply_standard
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import incidents, send_am


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    return factory


def _rollups(db: sessionmaker[Session]) -> dict[int, tuple[int, int, datetime | None]]:
    with session_scope(db) as session:
        rows = session.scalars(select(KpiIncidentRollup)).all()
        return {r.incident_id: (r.alerts, r.flaps, r.first_alert_at) for r in rows}


def _names(db: sessionmaker[Session]) -> dict[str, int]:
    with session_scope(db) as session:
        rows = session.scalars(select(KpiAlertNameCount)).all()
        return {r.name: r.alerts for r in rows}


def _refresh(db: sessionmaker[Session]) -> int:
    with session_scope(db) as session:
        return rollups.refresh(session)


def test_rollup_counts_alerts_names_and_the_first_start(db: sessionmaker[Session]) -> None:
    """Three alerts of two names: the rollup has 3 alerts, the earliest start and 2+1 names."""
    send_am(
        db,
        am_webhook(
            [
                am_alert("HighErrorRate", instance="a", starts_at="2026-11-22T11:50:00Z"),
                am_alert("HighErrorRate", instance="b", starts_at="2026-11-22T11:55:00Z"),
                am_alert("DiskFull", instance="c", starts_at="2026-11-22T11:58:00Z"),
            ]
        ),
    )
    assert _refresh(db) == 1
    (incident_id,) = [i.id for i in incidents(db)]
    assert _rollups(db) == {incident_id: (3, 0, datetime(2026, 11, 22, 11, 50, tzinfo=UTC))}
    assert _names(db) == {"HighErrorRate": 2, "DiskFull": 1}
    assert _refresh(db) == 0, "a current rollup is not recomputed"


def test_new_alerts_and_flaps_make_the_rollup_stale(db: sessionmaker[Session]) -> None:
    """A flap (resolve, fire again) and a new alert are both counted after the next refresh."""
    body = am_webhook([am_alert(instance="a")])
    send_am(db, body)
    _refresh(db)
    send_am(db, am_webhook([am_alert(instance="a", status="resolved")]))
    clock.advance(timedelta(minutes=10))
    send_am(db, body)
    send_am(db, am_webhook([am_alert(instance="z")]))
    assert _refresh(db) == 1
    assert [(a, f) for a, f, _ in _rollups(db).values()] == [(2, 1)]
    assert _names(db) == {"HighErrorRate": 2}


def test_open_incidents_are_recomputed_after_a_minute(db: sessionmaker[Session]) -> None:
    """An open incident's rollup ages out after 60 s; a resolved one stays current."""
    send_am(db, am_webhook([am_alert(instance="a")]))
    _refresh(db)
    clock.advance(timedelta(seconds=30))
    assert _refresh(db) == 0
    clock.advance(timedelta(seconds=31))
    assert _refresh(db) == 1
    send_am(db, am_webhook([am_alert(instance="a", status="resolved")]))
    assert _refresh(db) == 1
    clock.advance(timedelta(hours=1))
    assert _refresh(db) == 0


def test_alert_without_alertname_is_counted_under_its_summary() -> None:
    """The name is the alertname label, else the summary, trimmed to the column's length."""
    assert rollups.alert_name("Disk", "ignored") == "Disk"
    assert rollups.alert_name(None, "  Checkout is slow ") == "Checkout is slow"
    assert rollups.alert_name("", "x" * 300) == "x" * 255
    assert rollups.alert_name(None, "  ") == "(unnamed)"


def test_engine_step_refreshes_and_then_waits_for_its_period(db: sessionmaker[Session]) -> None:
    """The step refreshes what is stale, reports no work (the loop idles), then waits."""
    send_am(db, am_webhook([am_alert(instance=f"i{n}") for n in range(3)]))
    step = KpiRollupStep(every=3600.0)
    assert step(db, "test") == 0, "rollup work is not reported: the loop may still idle"
    assert [a for a, _, _ in _rollups(db).values()] == [3]
    clock.advance(timedelta(seconds=1))
    send_am(db, am_webhook([am_alert(instance="late")]))
    step(db, "test")
    assert [a for a, _, _ in _rollups(db).values()] == [3], "the step waits for its period"
    assert _refresh(db) == 1 and [a for a, _, _ in _rollups(db).values()] == [4]
