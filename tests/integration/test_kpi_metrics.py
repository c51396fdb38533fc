"""The KPI gauges on a scripted history, both databases: values, windows, cache and outage.

Frozen at 2026-11-22 12:00 UTC; default matrix targets (sev1 MTTA 5 min, MTTR 60 min). Minutes
after triggering:

    A sev1 checkout  2 days ago  ack 3   resolved 50      (7d and 30d)
    B sev1 checkout  3 days ago  ack 7   resolved 90      (7d and 30d)
    C sev1 site     20 days ago  ack 10  resolved 30      (30d only)
    D sev2 checkout 40 days ago  ack 1   resolved 5       (neither window)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from structlog.testing import capture_logs

from plantao import clock
from plantao.command.models import StatusUpdate
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.kpis import rollups
from plantao.kpis.metric_figures import NAMES
from plantao.kpis.metrics import KpiCollector
from plantao.oncall.models import Page
from plantao.people.models import User
from tests.factories.kpi_history import (
    add_action,
    add_alert,
    add_change,
    add_incident,
    add_postmortem,
    add_runbook_link,
    apply_history_config,
)

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_history_config(factory)
    with session_scope(factory) as s:
        add_incident(s, "checkout", "sev1", frozen - timedelta(days=2), ack=3, resolved=50)
        add_incident(s, "checkout", "sev1", frozen - timedelta(days=3), ack=7, resolved=90)
        add_incident(s, "site", "sev1", frozen - timedelta(days=20), ack=10, resolved=30)
        add_incident(s, "checkout", "sev2", frozen - timedelta(days=40), ack=1, resolved=5)
        rollups.refresh(s)
    return factory


def scrape(collector: KpiCollector) -> Samples:
    """The collector's samples as Prometheus would read them from the text format."""
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_response_gauges_match_hand_computed_figures(db: sessionmaker[Session]) -> None:
    """MTTA/MTTR p50, p90, target and met ratio per window equal the figures computed by hand."""
    got = scrape(KpiCollector(db))
    # 7d: MTTA 180, 420 s -> p50 300, p90 180 + 0.9*240 = 396; met (<= 300 s) 1 of 2
    assert value(got, "plantao_kpi_mtta_p50_seconds", window="7d", severity="sev1") == 300
    assert value(got, "plantao_kpi_mtta_p90_seconds", window="7d", severity="sev1") == (
        pytest.approx(396)
    )
    assert value(got, "plantao_kpi_mtta_met_ratio", window="7d", severity="sev1") == 0.5
    assert value(got, "plantao_kpi_mtta_target_seconds", window="7d", severity="sev1") == 300
    # 30d: MTTA 180, 420, 600 -> p50 420, p90 420 + 0.8*180 = 564; met 1 of 3
    assert value(got, "plantao_kpi_mtta_p50_seconds", window="30d", severity="sev1") == 420
    assert value(got, "plantao_kpi_mtta_p90_seconds", window="30d", severity="sev1") == (
        pytest.approx(564)
    )
    assert value(got, "plantao_kpi_mtta_met_ratio", window="30d", severity="sev1") == (
        pytest.approx(1 / 3)
    )
    # MTTR 30d: 3000, 5400, 1800 s -> p50 3000; met (<= 3600 s) 2 of 3
    assert value(got, "plantao_kpi_mttr_p50_seconds", window="30d", severity="sev1") == 3000
    assert value(got, "plantao_kpi_mttr_met_ratio", window="30d", severity="sev1") == (
        pytest.approx(2 / 3)
    )
    assert value(got, "plantao_kpi_incidents", window="7d", severity="sev1") == 2
    assert value(got, "plantao_kpi_incidents", window="30d", severity="sev1") == 3


def test_a_severity_without_incidents_has_a_count_but_no_duration(
    db: sessionmaker[Session],
) -> None:
    """sev2 in 30 days: incidents 0 is exported, its p50 is left out (no data is not 0 s)."""
    got = scrape(KpiCollector(db))
    assert value(got, "plantao_kpi_incidents", window="30d", severity="sev2") == 0
    assert value(got, "plantao_kpi_mtta_p50_seconds", window="30d", severity="sev2") is None


def test_figures_are_cached_for_a_minute(db: sessionmaker[Session], frozen: datetime) -> None:
    """A new incident shows only once the 60 s cache has passed, not on the next scrape."""
    collector = KpiCollector(db)
    assert value(scrape(collector), "plantao_kpi_incidents", window="7d", severity="sev1") == 2
    with session_scope(db) as s:
        add_incident(s, "checkout", "sev1", frozen - timedelta(hours=1), ack=1, resolved=2)
    clock.advance(timedelta(seconds=59))
    assert value(scrape(collector), "plantao_kpi_incidents", window="7d", severity="sev1") == 2
    clock.advance(timedelta(seconds=1))
    assert value(scrape(collector), "plantao_kpi_incidents", window="7d", severity="sev1") == 3


def test_an_unreachable_database_leaves_the_kpis_out_and_logs_once(frozen: datetime) -> None:
    """No database: every scrape still answers, without KPI families; one warning per outage."""
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1")
    collector = KpiCollector(make_sessionmaker(engine), cache_seconds=0)
    try:
        with capture_logs() as logs:
            first = scrape(collector)
            second = scrape(collector)
    finally:
        engine.dispose()
    assert first == {} and second == {}
    warnings = [e for e in logs if e["event"] == "kpi_metrics.database_unavailable"]
    assert len(warnings) == 1


def test_every_family_has_data_once_each_kind_of_fact_exists(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """With alerts, a change, a postmortem and action, a runbook, a page and status updates in
    the window, each family has samples (only the routine ratio needs routine tasks)."""
    apply_history_config(factory)
    with session_scope(factory) as s:
        triggered = frozen - timedelta(days=5)
        x = add_incident(s, "checkout", "sev2", triggered, ack=3, mitigated=10, resolved=120)
        add_alert(s, x, triggered - timedelta(minutes=2)).flap_count = 1
        add_alert(s, x, triggered - timedelta(minutes=1), name="Latency")
        change = add_change(s, "checkout", triggered - timedelta(minutes=30), "deploy v1.2")
        postmortem = add_postmortem(
            s, x, due_at=frozen - timedelta(days=1), published_at=frozen - timedelta(days=2),
            root_cause="change_code", cause_change_id=change.id,
        )  # fmt: skip
        add_action(
            s, postmortem, x, (frozen - timedelta(days=1)).date(), status="done",
            done_at=frozen - timedelta(days=3),
        )  # fmt: skip
        add_runbook_link(s, x, "rb-checkout", "suggestion", confirmed_at=triggered)
        ana = s.scalars(select(User.id).where(User.handle == "ana")).one()
        s.add(Page(incident_id=x.id, firing=1, label="L1", user_id=ana, urgency="high",
                   paged_at=triggered))  # fmt: skip
        for posted, due in ((10, 40), (35, 65)):
            s.add(
                StatusUpdate(
                    incident_id=x.id, kind="update", status="investigating", impact="slow",
                    symptoms=None, mitigation=None, next_steps=[], resolution=None,
                    posted_by="ana", posted_at=triggered + timedelta(minutes=posted),
                    next_update_due_at=triggered + timedelta(minutes=due), fanned_out_at=None,
                )
            )  # fmt: skip
        s.flush()
        rollups.refresh(s)
    names = {name for name, _labels in scrape(KpiCollector(factory))}
    assert NAMES - names == {"plantao_kpi_routine_on_time_ratio"}
