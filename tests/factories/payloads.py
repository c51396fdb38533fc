"""Sender payloads shaped exactly as the real senders shape them."""

from __future__ import annotations

from typing import Any

ZERO = "0001-01-01T00:00:00Z"


def am_alert(
    alertname: str = "HighErrorRate",
    status: str = "firing",
    *,
    fingerprint: str | None = None,
    summary: str = "5xx above 20%",
    starts_at: str = "2026-11-22T11:55:00Z",
    ends_at: str = ZERO,
    **labels: str,
) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "status": status,
        "labels": {"alertname": alertname, **labels},
        "annotations": {"summary": summary},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
    }
    if fingerprint:
        alert["fingerprint"] = fingerprint
    return alert


def am_webhook(
    alerts: list[dict[str, Any]], group_key: str = '{}:{alertname="X"}'
) -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "plantao",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": alerts,
    }


def pd_event(
    action: str = "trigger", dedup_key: str | None = None, **payload: Any
) -> dict[str, Any]:
    from tests.factories.config import PD_KEY

    body: dict[str, Any] = {"routing_key": PD_KEY, "event_action": action}
    if dedup_key:
        body["dedup_key"] = dedup_key
    if action == "trigger":
        body["payload"] = {
            "summary": "Disk full on db-1",
            "source": "db-1",
            "severity": "critical",
            **payload,
        }
    return body
