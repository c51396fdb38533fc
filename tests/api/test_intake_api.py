"""Every intake format: accepted, and rejected with a clear error and nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from plantao.alerts.models import Alert
from plantao.changes.models import ChangeEvent
from plantao.incidents.models import Incident
from plantao.intake.models import InboxEntry
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, GENERIC_KEY, GRAFANA_KEY
from tests.factories.inbox import drain
from tests.factories.payloads import am_alert, am_webhook, pd_event
from tests.integration.helpers import count

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"
GRAFANA = f"/api/v1/intake/{GRAFANA_KEY}/grafana"
GENERIC = f"/api/v1/intake/{GENERIC_KEY}/generic"


def _nothing_stored(api: Api) -> None:
    assert count(api.factory, InboxEntry) == 0
    drain(api.factory)
    assert count(api.factory, Alert) == 0
    assert count(api.factory, Incident) == 0


def test_alertmanager_accepted(api: Api) -> None:
    """A valid webhook is committed to the inbox (202, its id); the engine makes one incident."""
    res = api.client.post(AM, json=am_webhook([am_alert(instance="a"), am_alert(instance="b")]))
    assert res.status_code == 202
    body = res.json()
    assert body["status"] == "accepted" and body["accepted"] == 2 and body["rejected"] == []
    assert isinstance(body["intake_id"], int)
    assert count(api.factory, InboxEntry) == 1 and count(api.factory, Alert) == 0
    assert drain(api.factory) == 1
    assert count(api.factory, InboxEntry) == 0
    assert count(api.factory, Alert) == 2 and count(api.factory, Incident) == 1
    metrics = api.client.get("/metrics").text
    assert 'plantao_intake_accepted_total{source="alertmanager"}' in metrics
    assert 'plantao_alerts_received_total{outcome="created",source="alertmanager"}' in metrics


def test_alertmanager_partial_batch_still_2xx(api: Api) -> None:
    """A malformed alert in a valid payload is reported; the valid ones are stored."""
    res = api.client.post(AM, json=am_webhook([am_alert(), {"status": "firing", "labels": {}}]))
    assert res.status_code == 202
    assert res.json()["rejected"][0]["index"] == 1 and res.json()["accepted"] == 1
    drain(api.factory)
    assert count(api.factory, Alert) == 1
    metrics = api.client.get("/metrics").text
    assert 'plantao_alerts_received_total{outcome="invalid",source="alertmanager"}' in metrics


def test_grafana_accepted(api: Api) -> None:
    """Grafana's unified-alerting webhook (version 1, extra fields) is accepted."""
    body = am_webhook(
        [
            {
                **am_alert("CPU"),
                "dashboardURL": "http://grafana/d/1",
                "valueString": "[ var='A' value=97 ]",
            }
        ]
    )
    body.update({"version": "1", "orgId": 1, "title": "[FIRING:1] CPU", "state": "alerting"})
    ref = api.open_incident(GRAFANA, body)
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["alerts"][0]["source"] == "grafana"
    assert detail["alerts"][0]["details"]["dashboard_url"] == "http://grafana/d/1"


def test_generic_accepted(api: Api) -> None:
    """The generic webhook accepts a single alert object."""
    res = api.send(
        GENERIC,
        {
            "title": "Cron job late",
            "dedup_key": "cron-1",
            "severity": "warning",
            "labels": {"job": "cron"},
        },
    )
    assert res.status_code == 202 and res.json()["accepted"] == 1
    assert count(api.factory, Alert) == 1


@pytest.mark.parametrize("url", [AM, GRAFANA, GENERIC])
def test_malformed_json_is_400(api: Api, url: str) -> None:
    """Malformed JSON answers 400 problem+json and stores nothing."""
    res = api.client.post(
        url, content=b'{"alerts": [', headers={"content-type": "application/json"}
    )
    assert res.status_code == 400
    assert res.headers["content-type"] == "application/problem+json"
    assert "not valid JSON" in res.json()["detail"]
    _nothing_stored(api)


@pytest.mark.parametrize("url", [AM, GENERIC, "/v2/enqueue"])
def test_oversize_is_413(api: Api, url: str) -> None:
    """A body over the configured limit answers 413 and stores nothing."""
    big = b'{"pad": "' + b"x" * (70 * 1024) + b'"}'
    res = api.client.post(url, content=big, headers={"content-type": "application/json"})
    assert res.status_code == 413
    _nothing_stored(api)


def test_oversize_without_content_length_is_413(api: Api) -> None:
    """A chunked body is cut off at the limit too."""

    def chunks() -> Any:
        for _ in range(80):
            yield b"x" * 1024

    res = api.client.post(AM, content=chunks())
    assert res.status_code == 413
    _nothing_stored(api)


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (AM, {"version": "4"}, "alerts"),
        (AM, {"alerts": "nope"}, "alerts"),
        (AM, {"alerts": [{"labels": {"a": "b"}}]}, "alerts[0].status"),
        (GENERIC, {"severity": "critical"}, "title"),
        (GENERIC, 42, "body"),
    ],
)
def test_schema_errors_name_the_field(api: Api, url: str, body: Any, field: str) -> None:
    """Schema errors answer 422 with the offending field named; nothing is stored."""
    res = api.client.post(url, content=orjson.dumps(body))
    assert res.status_code == 422
    assert field in res.json()["detail"]
    _nothing_stored(api)


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "generic"])
def test_unknown_key_is_404(api: Api, kind: str) -> None:
    """A wrong integration key answers 404 and stores nothing."""
    res = api.client.post(f"/api/v1/intake/not-a-key/{kind}", json=am_webhook([am_alert()]))
    assert res.status_code == 404
    _nothing_stored(api)


def test_pagerduty_trigger_and_resolve(api: Api) -> None:
    """PD trigger answers PagerDuty's 202 body with a generated dedup_key; resolve uses it.

    Both are accepted before the engine applies either: applied together, in order.
    """
    res = api.client.post("/v2/enqueue", json=pd_event())
    assert res.status_code == 202
    body = res.json()
    assert body["status"] == "success" and body["message"] == "Event processed"
    key = body["dedup_key"]
    res = api.client.post("/v2/enqueue", json=pd_event("resolve", dedup_key=key))
    assert res.status_code == 202 and res.json()["dedup_key"] == key
    assert drain(api.factory) == 2
    incidents = api.client.get(
        "/api/v1/incidents?status=resolved", headers=api.headers("viewer")
    ).json()["items"]
    assert len(incidents) == 1 and incidents[0]["severity"] == "sev1"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"routing_key": "pd-key-0123456789abcdef", "event_action": "trigger"},
            400,
            "'payload' is required",
        ),
        ({"event_action": "trigger", "payload": {}}, 400, "routing_key"),
        ({**pd_event(), "routing_key": "unknown-routing-key"}, 404, "Invalid routing key"),
    ],
)
def test_pagerduty_errors_use_its_body(
    api: Api, body: dict[str, Any], status: int, error: str
) -> None:
    """PD errors use PagerDuty's error shape {status, message, errors[]}; nothing is stored."""
    res = api.client.post("/v2/enqueue", json=body)
    assert res.status_code == status
    payload = res.json()
    assert payload["status"] == "invalid event"
    assert any(error in e for e in payload["errors"])
    _nothing_stored(api)


def test_pagerduty_malformed_json(api: Api) -> None:
    """Malformed JSON on the PD endpoint answers 400 in PagerDuty's shape."""
    res = api.client.post("/v2/enqueue", content=b"{nope")
    assert res.status_code == 400 and res.json()["errors"] == ["Malformed JSON"]


def test_change_events_stored_and_shown(api: Api) -> None:
    """Change events are accepted into the inbox, recorded, and shown on the service's incidents."""
    from tests.factories.config import PD_KEY

    res = api.client.post(
        "/v2/change/enqueue",
        json={
            "routing_key": PD_KEY,
            "payload": {
                "summary": "Deploy checkout v2.3.1",
                "source": "argocd",
                "timestamp": (datetime.now(UTC) - timedelta(minutes=20)).isoformat(),
            },
            "links": [{"href": "https://ci/1", "text": "pipeline"}],
        },
    )
    assert res.status_code == 202 and res.json()["message"] == "Change event processed"
    assert count(api.factory, ChangeEvent) == 0 and count(api.factory, InboxEntry) == 1
    drain(api.factory)
    assert count(api.factory, ChangeEvent) == 1
    api.send("/v2/enqueue", pd_event())
    ref = api.client.get("/api/v1/incidents", headers=api.headers("viewer")).json()["items"][0]
    detail = api.client.get(f"/api/v1/incidents/{ref['id']}", headers=api.headers("viewer"))
    assert detail.json()["recent_changes"][0]["summary"] == "Deploy checkout v2.3.1"
    bad = api.client.post("/v2/change/enqueue", json={"routing_key": PD_KEY, "payload": {}})
    assert bad.status_code == 400 and count(api.factory, ChangeEvent) == 1


def test_integration_key_never_logged(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    """Intake URLs in logs show [REDACTED] instead of the key."""
    api.client.post(AM, content=b"{bad")
    err = capsys.readouterr().err
    assert "/api/v1/intake/[REDACTED]/alertmanager" in err
    assert AM_KEY not in err


def test_inbox_status_and_retry_for_admins(api: Api) -> None:
    """Admins see the inbox depth and failed entries, and put one back in line; others can't."""
    from sqlalchemy import update

    from plantao.db import session_scope

    res = api.client.post(AM, json=am_webhook([am_alert()]))
    entry = res.json()["intake_id"]
    status = api.client.get("/api/v1/intake/inbox", headers=api.headers("admin")).json()
    assert (status["pending_entries"], status["pending_alerts"]) == (1, 1)
    with session_scope(api.factory) as session:
        original = session.get(InboxEntry, entry)
        assert original is not None
        events = original.events
        session.execute(
            update(InboxEntry).where(InboxEntry.id == entry).values(events=[{"action": "?"}])
        )
    drain(api.factory)
    status = api.client.get("/api/v1/intake/inbox", headers=api.headers("admin")).json()
    assert status["pending_entries"] == 0 and status["failed_entries"] == 1
    failed = status["failed"][0]
    assert failed["id"] == entry and failed["integration"] == "am"
    assert "unknown action" in failed["last_error"]
    assert (
        api.client.get("/api/v1/intake/inbox", headers=api.headers("responder")).status_code == 403
    )
    with session_scope(api.factory) as session:
        session.execute(update(InboxEntry).where(InboxEntry.id == entry).values(events=events))
    retry = api.client.post(f"/api/v1/intake/inbox/{entry}/retry", headers=api.headers("admin"))
    assert retry.status_code == 200 and retry.json() == {"requeued": 1}
    again = api.client.post(f"/api/v1/intake/inbox/{entry}/retry", headers=api.headers("admin"))
    assert again.status_code == 404
    drain(api.factory)
    assert count(api.factory, Alert) == 1 and count(api.factory, InboxEntry) == 0
    metrics = api.client.get("/metrics").text
    assert 'plantao_intake_inbox_entries{state="failed"} 0.0' in metrics


def test_unavailable_database_answers_503_and_stores_nothing(api: Api) -> None:
    """When the inbox commit fails the sender gets 503 (Alertmanager retries), not a 2xx."""
    from plantao.db import make_engine, make_sessionmaker
    from plantao.intake.writer import IntakeWriter

    broken = make_sessionmaker(make_engine("sqlite:////nonexistent-dir/plantao.db"))
    api.client.app.state.intake_writer = IntakeWriter(broken)  # type: ignore[attr-defined]
    try:
        res = api.client.post(AM, json=am_webhook([am_alert()]))
        assert res.status_code == 503 and "nothing was accepted" in res.json()["detail"]
        pd = api.client.post("/v2/enqueue", json=pd_event())
        assert pd.status_code == 503 and pd.json()["status"] == "invalid event"
    finally:
        api.client.app.state.intake_writer.close()  # type: ignore[attr-defined]
    _nothing_stored(api)
