"""Sample alerts for ``make run``: realistic enough to show grouping, dedup and severities."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.catalog import service as catalog_service
from plantao.incidents import service as incident_service
from plantao.intake.sources import alertmanager

SAMPLE: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="HighErrorRate"}',
    "status": "firing",
    "receiver": "plantao",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "HighErrorRate",
                "service": "checkout",
                "severity": "critical",
                "instance": "checkout-7c9f:8080",
                "cluster": "prod-sa-east-1",
            },
            "annotations": {
                "summary": "Checkout API 5xx above 20% for 5 minutes",
                "description": "5xx ratio is 23.4% (threshold 20%).",
                "runbook_url": "https://runbooks.example.com/high-error-rate",
            },
            "startsAt": "",
            "endsAt": "0001-01-01T00:00:00Z",
        },
        {
            "status": "firing",
            "labels": {
                "alertname": "HighErrorRate",
                "service": "checkout",
                "severity": "critical",
                "instance": "checkout-5d2a:8080",
                "cluster": "prod-sa-east-1",
            },
            "annotations": {"summary": "Checkout API 5xx above 20% for 5 minutes"},
            "startsAt": "",
            "endsAt": "0001-01-01T00:00:00Z",
        },
    ],
}

SAMPLE_LAG: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="KafkaConsumerLagHigh"}',
    "status": "firing",
    "receiver": "plantao",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "KafkaConsumerLagHigh",
                "service": "orders",
                "severity": "warning",
                "consumergroup": "orders-projector",
            },
            "annotations": {"summary": "Consumer group orders-projector is 48k messages behind"},
            "startsAt": "",
            "endsAt": "0001-01-01T00:00:00Z",
        }
    ],
}


def seed(session: Session) -> int:
    if incident_service.list_incidents(session, limit=1).items:
        return 0
    integrations = catalog_service.list_integrations(session)
    target = next((i for i, _ in integrations if i.kind == "alertmanager"), None)
    if target is None:
        return 0
    opened: set[int] = set()
    started = (clock.now() - timedelta(minutes=4)).isoformat()
    for payload in (SAMPLE, SAMPLE_LAG):
        for alert in payload["alerts"]:
            alert["startsAt"] = started
        events, _ = alertmanager.parse(payload)
        opened |= set(alert_service.ingest(session, target, events).touched)
    first = incident_service.get(session, min(opened), for_update=True)
    incident_service.add_note(
        session,
        first,
        actor="demo",
        kind="inference",
        text="I assume the 14:02 deploy caused this because errors began 2 min later; "
        "if rolling back does not help within 10 min, I page the database SME.",
    )
    return len(opened)
