"""Dedup, grouping, flapping, auto-resolve and severity through the intake service."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.alerts.models import Alert
from plantao.incidents.models import TimelineEntry
from tests.factories.config import apply_standard
from tests.factories.payloads import am_alert, am_webhook, pd_event
from tests.integration.helpers import (
    alerts,
    count,
    incident,
    incidents,
    send_am,
    send_generic,
    send_pd,
    timeline_kinds,
)


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    return factory


def test_repeats_update_not_duplicate(db: sessionmaker[Session]) -> None:
    """Re-sent snapshots refresh last_seen_at and the counter; no second alert or incident."""
    body = am_webhook([am_alert(instance="a"), am_alert(instance="b")])
    first = send_am(db, body)
    assert first.created == 2
    clock.advance(timedelta(minutes=5))
    again = send_am(db, body)
    assert (again.created, again.refreshed) == (0, 2)
    rows = alerts(db)
    assert len(rows) == 2 and len(incidents(db)) == 1
    assert all(r.repeat_count == 1 for r in rows)
    assert all(r.last_seen_at == clock.now() for r in rows)


def test_changed_annotations_update_in_place(db: sessionmaker[Session]) -> None:
    """A firing alert whose annotations change is updated in place, at the same severity."""
    send_am(db, am_webhook([am_alert(instance="a", severity="warning")]))
    result = send_am(
        db, am_webhook([am_alert(instance="a", severity="warning", summary="now worse")])
    )
    assert result.updated == 1 and result.created == 0
    rows = alerts(db)
    assert len(rows) == 1 and rows[0].summary == "now worse" and rows[0].repeat_count == 1
    inc = incidents(db)[0]
    assert inc.severity == "sev3"
    assert "incident.severity" not in timeline_kinds(db, inc.id)


def test_changed_alert_raises_incident_severity(db: sessionmaker[Session]) -> None:
    """A firing alert re-sent more severe is updated in place and raises its incident's severity."""
    send_am(db, am_webhook([am_alert(fingerprint="fp-a", instance="a", severity="warning")]))
    assert incidents(db)[0].severity == "sev3"
    result = send_am(
        db,
        am_webhook(
            [am_alert(fingerprint="fp-a", instance="a", severity="critical", summary="worse")]
        ),
    )
    assert (result.updated, result.created) == (1, 0)
    rows = alerts(db)
    assert len(rows) == 1 and rows[0].severity == "sev1" and rows[0].summary == "worse"
    found = incidents(db)
    assert len(found) == 1 and found[0].severity == "sev1"
    with db() as session:
        entry = session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == found[0].id)
            .where(TimelineEntry.kind == "incident.severity")
        ).one()
    assert entry.data == {"from": "sev3", "to": "sev1"}
    assert entry.actor == "integration:am"


def test_changed_alert_never_lowers_incident_severity(db: sessionmaker[Session]) -> None:
    """A firing alert re-sent less severe is updated in place; its incident keeps its severity."""
    send_am(db, am_webhook([am_alert(fingerprint="fp-a", instance="a", severity="critical")]))
    result = send_am(
        db, am_webhook([am_alert(fingerprint="fp-a", instance="a", severity="warning")])
    )
    assert result.updated == 1
    assert alerts(db)[0].severity == "sev3"
    inc = incidents(db)[0]
    assert inc.severity == "sev1"
    assert "incident.severity" not in timeline_kinds(db, inc.id)


def test_alertmanager_group_key_makes_one_incident(db: sessionmaker[Session]) -> None:
    """Without route group_by, one Alertmanager notification group is one incident."""
    send_am(
        db, am_webhook([am_alert("A", instance="1"), am_alert("B", instance="2")], group_key="g1")
    )
    send_am(db, am_webhook([am_alert("C", instance="3")], group_key="g2"))
    found = incidents(db)
    assert len(found) == 2
    assert count(db, Alert, Alert.incident_id == found[0].id) == 2


def test_route_group_by_overrides_sender_group(db: sessionmaker[Session]) -> None:
    """A route's group_by puts alerts of the same alertname together across sender groups."""
    send_am(db, am_webhook([am_alert("Latency", service="checkout", instance="1")], "g1"))
    send_am(db, am_webhook([am_alert("Latency", service="checkout", instance="2")], "g2"))
    send_am(db, am_webhook([am_alert("Errors", service="checkout", instance="1")], "g1"))
    found = incidents(db)
    assert len(found) == 2
    assert {i.group_key for i in found} == {"{alertname=Latency}", "{alertname=Errors}"}
    with db() as session:
        from plantao.catalog.service import service_by_slug

        assert all(i.service_id == service_by_slug(session, "checkout").id for i in found)


def test_unrouted_alerts_go_to_integration_service(db: sessionmaker[Session]) -> None:
    """Alerts matching no route land on their integration's service."""
    send_am(db, am_webhook([am_alert(service="unknown")]))
    with db() as session:
        from plantao.catalog.service import service_by_slug

        assert incidents(db)[0].service_id == service_by_slug(session, "default").id


def test_grouping_window_expires(db: sessionmaker[Session]) -> None:
    """After the route's window with no new alert, a new alert opens a new incident."""
    send_am(db, am_webhook([am_alert("Latency", service="checkout", instance="1")]))
    clock.advance(timedelta(minutes=59))
    send_am(db, am_webhook([am_alert("Latency", service="checkout", instance="2")]))
    assert len(incidents(db)) == 1
    clock.advance(timedelta(minutes=61))
    send_am(db, am_webhook([am_alert("Latency", service="checkout", instance="3")]))
    assert len(incidents(db)) == 2


def test_auto_resolve_when_all_alerts_resolve(db: sessionmaker[Session]) -> None:
    """The incident resolves by itself only when its last firing alert resolves."""
    send_am(db, am_webhook([am_alert(instance="a"), am_alert(instance="b")]))
    send_am(
        db,
        am_webhook(
            [
                am_alert(instance="a", status="resolved", ends_at="2026-11-22T11:59:00Z"),
                am_alert(instance="b"),
            ]
        ),
    )
    inc = incidents(db)[0]
    assert inc.status == "triggered"
    send_am(
        db,
        am_webhook(
            [am_alert(instance="a", status="resolved"), am_alert(instance="b", status="resolved")]
        ),
    )
    inc = incident(db, inc.human_id)
    assert inc.status == "resolved" and inc.resolved_at == clock.now()
    kinds = timeline_kinds(db, inc.id)
    assert kinds.count("alert.resolved") == 2 and kinds[-1] == "incident.resolved"
    assert alerts(db)[0].ends_at is not None


def test_route_can_keep_incident_open(db: sessionmaker[Session]) -> None:
    """With auto_resolve: false the incident stays open after its alerts resolve."""
    send_am(db, am_webhook([am_alert("Lag", service="orders")]))
    send_am(db, am_webhook([am_alert("Lag", service="orders", status="resolved")]))
    assert incidents(db)[0].status == "triggered"


def test_flapping_reopens_same_incident_and_alert(db: sessionmaker[Session]) -> None:
    """Resolve then fire again within the window: same alert row, same incident, reopened."""
    body = am_webhook([am_alert(instance="a")])
    send_am(db, body)
    send_am(db, am_webhook([am_alert(instance="a", status="resolved")]))
    assert incidents(db)[0].status == "resolved"
    clock.advance(timedelta(minutes=10))
    result = send_am(db, body)
    assert result.reopened == 1 and result.created == 0
    found = incidents(db)
    assert len(found) == 1 and found[0].status == "triggered"
    rows = alerts(db)
    assert len(rows) == 1 and rows[0].status == "firing" and rows[0].flap_count == 1
    assert "incident.triggered" in timeline_kinds(db, found[0].id)[-2:]


def test_fire_after_window_opens_new_incident(db: sessionmaker[Session]) -> None:
    """A resolved incident older than the window is not reopened; a new one opens."""
    body = am_webhook([am_alert("Latency", service="checkout", instance="a")])
    send_am(db, body)
    send_am(
        db, am_webhook([am_alert("Latency", service="checkout", instance="a", status="resolved")])
    )
    clock.advance(timedelta(hours=2))
    send_am(db, body)
    found = incidents(db)
    assert [i.status for i in found] == ["resolved", "triggered"]
    assert len(alerts(db)) == 2


def test_incident_takes_highest_severity(db: sessionmaker[Session]) -> None:
    """The incident's severity is the most severe of its alerts, raised on the timeline."""
    send_am(db, am_webhook([am_alert(instance="a", severity="warning")]))
    assert incidents(db)[0].severity == "sev3"
    send_am(db, am_webhook([am_alert(instance="b", severity="critical")]))
    inc = incidents(db)[0]
    assert inc.severity == "sev1"
    assert "incident.severity" in timeline_kinds(db, inc.id)


def test_severity_rule_from_matrix(db: sessionmaker[Session]) -> None:
    """A matrix rule maps an alertname to Sev1 regardless of its label."""
    send_am(db, am_webhook([am_alert("DataLeak", severity="info")]))
    assert incidents(db)[0].severity == "sev1"


def test_detection_time_is_earliest_alert_start(db: sessionmaker[Session]) -> None:
    """detected_at is the earliest startsAt among the incident's alerts."""
    send_am(db, am_webhook([am_alert(instance="a", starts_at="2026-11-22T11:50:00Z")]))
    send_am(db, am_webhook([am_alert(instance="b", starts_at="2026-11-22T11:40:00Z")]))
    inc = incidents(db)[0]
    assert inc.detected_at.isoformat() == "2026-11-22T11:40:00+00:00"
    assert inc.triggered_at == clock.now()


def test_human_ids_are_sequential_per_day(db: sessionmaker[Session]) -> None:
    """Incidents get INC-YYYYMMDD-N, N counting from 1 each UTC day."""
    for n in range(3):
        send_am(db, am_webhook([am_alert(f"A{n}")], group_key=f"g{n}"))
    clock.advance(timedelta(days=1))
    send_am(db, am_webhook([am_alert("B")], group_key="gb"))
    assert [i.human_id for i in incidents(db)] == [
        "INC-20261122-1",
        "INC-20261122-2",
        "INC-20261122-3",
        "INC-20261123-1",
    ]


def test_pagerduty_semantics(db: sessionmaker[Session]) -> None:
    """PD: ack acknowledges, resolve resolves, a trigger after resolve is a new alert."""
    send_pd(db, pd_event(dedup_key="disk-db1"))
    send_pd(db, pd_event(dedup_key="disk-db1"))
    assert len(alerts(db)) == 1
    send_pd(db, pd_event("acknowledge", dedup_key="disk-db1"))
    assert incidents(db)[0].status == "acknowledged"
    send_pd(db, pd_event("resolve", dedup_key="disk-db1"))
    assert incidents(db)[0].status == "resolved"
    clock.advance(timedelta(days=2))
    send_pd(db, pd_event(dedup_key="disk-db1"))
    assert len(alerts(db)) == 2 and len(incidents(db)) == 2


def test_pagerduty_ack_or_resolve_unknown_key_is_dropped(db: sessionmaker[Session]) -> None:
    """Acknowledge/resolve for a key with no open alert is accepted and changes nothing."""
    result = send_pd(db, pd_event("resolve", dedup_key="never-seen"))
    assert result.ignored == 1
    assert incidents(db) == [] and alerts(db) == []


def test_generic_webhook_dedups_by_key(db: sessionmaker[Session]) -> None:
    """Generic alerts dedup by dedup_key and resolve by status."""
    send_generic(db, {"title": "Nightly backup failed", "dedup_key": "backup"})
    send_generic(db, {"title": "Nightly backup failed", "dedup_key": "backup"})
    assert len(alerts(db)) == 1
    send_generic(
        db, {"title": "Nightly backup failed", "dedup_key": "backup", "status": "resolved"}
    )
    assert incidents(db)[0].status == "resolved"


def test_manual_resolve_is_not_undone_by_resends(db: sessionmaker[Session]) -> None:
    """A responder's resolve stands while the sender keeps re-sending the same firing alert."""
    from plantao.db import session_scope
    from plantao.incidents import service as incident_service
    from plantao.incidents.lifecycle import Action

    body = am_webhook([am_alert(instance="a")])
    send_am(db, body)
    with session_scope(db) as session:
        inc = incident_service.get(session, 1, for_update=True)
        incident_service.act(session, inc, Action.RESOLVE, actor="token:ana")
    send_am(db, body)
    assert incidents(db)[0].status == "resolved"
