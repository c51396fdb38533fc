"""One intake call that opens, joins and reopens many incidents at once (the engine's batches)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.alerts import grouping
from plantao.alerts import service as alert_service
from plantao.alerts.placement import IntakeResult
from plantao.db import make_engine, make_sessionmaker, run_transaction, session_scope
from plantao.engine.reactions import react
from plantao.incidents.models import Incident, TimelineEntry
from plantao.intake.sources import alertmanager
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.oncall import escalations
from plantao.oncall.models import Escalation
from plantao.runbooks import linking
from tests.conftest import empty_postgres
from tests.factories.config import apply_config, apply_standard, integration
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import alerts, incidents, send_am, timeline_kinds

PAGING = """
users: [{handle: ana, name: Ana, email: ana@example.com}]
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: pay}
escalation_policies:
  - slug: pay
    name: Pay
    repeat: 0
    steps:
      - {delay: 0m, targets: [{user: ana}]}
      - {delay: 5m, targets: [{user: ana}]}
"""


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    apply_config(factory, PAGING)
    return factory


def _checkout(prefix: str, group: int, instance: int, **extra: Any) -> dict[str, Any]:
    """An alert routed to checkout (grouped by alertname there), group ``group``."""
    severity = "critical" if group == 0 else "warning"
    return am_alert(
        f"{prefix}{group}",
        summary=f"{prefix} {group} on {instance}",
        service="checkout",
        instance=str(instance),
        severity=severity,
        **extra,
    )


def _ingest(factory: sessionmaker[Session], body: dict[str, Any]) -> IntakeResult:
    events, rejected = alertmanager.parse(body)
    assert rejected == []
    result = run_transaction(
        factory, lambda s: alert_service.ingest(s, integration(s, "am"), events)
    )
    run_transaction(factory, react)  # the engine's reaction step: escalations, runbook links
    return result


def _state(factory: sessionmaker[Session], prefix: str) -> list[dict[str, Any]]:
    """Each incident of ``prefix`` as the tests compare them: no ids, no placeholders."""
    out = []
    with factory() as s:
        for inc in s.scalars(
            select(Incident).where(Incident.title.startswith(prefix)).order_by(Incident.id)
        ):
            esc = s.get(Escalation, inc.id)
            assert esc is not None
            jobs = list(s.scalars(select(Job).order_by(Job.id)))
            timers = [j for j in jobs if j.payload.get("incident_id") == inc.id]
            linked = sorted(
                str(labels["instance"])
                for j in jobs
                if j.kind == linking.LINK_JOB
                for incident_id, found in linking.linking_requests(j.payload)
                if incident_id == inc.id
                for labels, _annotations in found
            )
            escalate = [
                (j.payload["token"], j.dedup_key, j.due_at - inc.triggered_at)
                for j in timers
                if j.kind == escalations.JOB_KIND
            ]
            out.append(
                {
                    "title": inc.title,
                    "severity": inc.severity,
                    "status": inc.status,
                    "group_key": inc.group_key,
                    "detected_at": inc.detected_at,
                    "human_id": inc.human_id.rsplit("-", 1)[0],
                    "timeline": [
                        (e.kind, e.actor)
                        for e in s.scalars(
                            select(TimelineEntry)
                            .where(TimelineEntry.incident_id == inc.id)
                            .order_by(TimelineEntry.id)
                        )
                    ],
                    "escalation": (esc.policy_slug, esc.state, esc.token, esc.cursor, esc.fired),
                    "escalation_due": esc.due_at - inc.triggered_at if esc.due_at else None,
                    "escalate_jobs": [
                        (token, key == f"{escalations.JOB_KIND}:{inc.id}:{token}", due)
                        for token, key, due in escalate
                    ],
                    "linked": linked,
                }
            )
    return out


def _normalise(state: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Without the prefix, by group (a call opens its groups in key order, not arrival order)."""
    found = [
        {
            **item,
            "title": item["title"].replace(prefix, "P"),
            "group_key": item["group_key"].replace(prefix, "P"),
        }
        for item in state
    ]
    return sorted(found, key=lambda item: str(item["group_key"]))


def test_one_call_for_many_groups_writes_what_one_call_per_group_writes(
    db: sessionmaker[Session],
) -> None:
    """Opening 12 incidents in one call leaves the same incidents, timelines, escalations,
    timers and runbook-link jobs as opening them with one call per incident."""
    for group in range(12):
        _ingest(db, am_webhook([_checkout("Single", group, 1), _checkout("Single", group, 2)]))
    batch = [_checkout("Batch", group, i) for group in range(12) for i in (1, 2)]
    result = _ingest(db, am_webhook(batch))
    assert result.created == 24 and len(result.touched) == 12
    single, together = _state(db, "Single"), _state(db, "Batch")
    assert _normalise(together, "Batch") == _normalise(single, "Single")
    together = _normalise(together, "Batch")
    assert together[0]["timeline"] == [
        ("incident.triggered", "integration:am"),
        ("alert.attached", "integration:am"),
        ("alert.attached", "integration:am"),
    ]
    assert together[0]["escalate_jobs"] == [(1, True, timedelta(0))]
    assert together[0]["linked"] == ["1", "2"]


def test_human_ids_follow_incident_ids_within_one_call(db: sessionmaker[Session]) -> None:
    """Incidents opened together are numbered INC-YYYYMMDD-N in id order, after earlier ones."""
    send_am(db, am_webhook([am_alert("Before", instance="x")], group_key="before"))
    result = _ingest(db, am_webhook([_checkout("Many", g, 1) for g in range(30)]))
    numbers = [
        int(i.human_id.rsplit("-", 1)[1])
        for i in sorted(result.touched.values(), key=lambda i: i.id)
    ]
    assert numbers == list(range(2, 32))
    assert result.incidents == {i.human_id for i in incidents(db)[1:]}


def test_one_call_opens_joins_and_reopens(db: sessionmaker[Session]) -> None:
    """In one call: a new alert joins an open incident, a flapping alert reopens its resolved
    incident, and a new group opens an incident with its escalation."""
    _ingest(db, am_webhook([_checkout("Open", 1, 1)]))
    _ingest(db, am_webhook([_checkout("Flap", 1, 1)]))
    _ingest(db, am_webhook([_checkout("Flap", 1, 1, status="resolved")]))
    clock.advance(timedelta(minutes=10))
    result = _ingest(
        db,
        am_webhook([_checkout("Open", 1, 2), _checkout("Flap", 1, 1), _checkout("New", 1, 1)]),
    )
    assert result.outcomes() == {
        "created": 2,
        "refreshed": 0,
        "updated": 0,
        "resolved": 0,
        "reopened": 1,
        "acknowledged": 0,
        "ignored": 0,
    }
    opened, flapped, new = incidents(db)
    assert [i.status for i in (opened, flapped, new)] == ["triggered"] * 3
    assert opened.last_alert_at == clock.now()
    assert timeline_kinds(db, opened.id)[-1] == "alert.attached"
    assert timeline_kinds(db, flapped.id)[-2:] == ["incident.triggered", "alert.refired"]
    assert timeline_kinds(db, new.id) == ["incident.triggered", "alert.attached"]
    assert sorted(a.flap_count for a in alerts(db)) == [0, 0, 0, 1]
    with db() as s:
        escalations = {e.incident_id: e for e in s.scalars(select(Escalation))}
    assert escalations[new.id].token == 1 and escalations[new.id].state == "active"
    assert escalations[flapped.id].state == "active"


def test_enqueue_many_writes_pending_jobs_once_per_dedup_key(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """enqueue_many writes claimable pending jobs; a live dedup key is refused as by enqueue."""
    jobs = [
        job_service.NewJob("test.echo", {"n": 1}, dedup_key="k1"),
        job_service.NewJob("test.echo", {"n": 2}, due_at=clock.now() + timedelta(minutes=1)),
    ]
    run_transaction(factory, lambda s: job_service.enqueue_many(s, jobs))
    claimed = run_transaction(factory, lambda s: job_service.claim(s, "w1"))
    assert [c.payload for c in claimed] == [{"n": 1}]
    with pytest.raises(IntegrityError), session_scope(factory) as session:
        job_service.enqueue_many(session, [job_service.NewJob("test.echo", {}, dedup_key="k1")])


def test_group_locks_exclude_the_same_group_lock(postgres_database: str) -> None:
    """The one-statement group locks exclude group_lock_value's lock on the same group, and back.

    PostgreSQL only (advisory locks; SQLite serialises writers), so it asks for that database
    directly: it fails rather than skips when PostgreSQL is required and missing.
    """
    engine = make_engine(empty_postgres(postgres_database), pool_size=4)
    factory = make_sessionmaker(engine)

    def blocked(key: str) -> bool:
        with factory() as other:
            other.execute(text("SET LOCAL lock_timeout = '200ms'"))
            try:
                _lock_group(other, key)
            except OperationalError:
                return True
            finally:
                other.rollback()
            return False

    with factory() as holder:
        grouping.lock_groups(holder, ["3:alertname=Down", "4:x"])
        assert blocked("3:alertname=Down") and blocked("4:x") and not blocked("5:y")
        holder.rollback()
    with factory() as holder:
        _lock_group(holder, "6:z")
        with factory() as other:
            other.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError):
                grouping.lock_groups(other, ["6:z"])
            other.rollback()
        holder.rollback()
    engine.dispose()


def _lock_group(session: Session, key: str) -> None:
    value = grouping.group_lock_value(key)
    session.execute(text("SELECT pg_advisory_xact_lock(:v)"), {"v": value})
