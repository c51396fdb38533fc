"""AlertEvent <-> JSON-ready dict, for the intake inbox.

The inbox stores events already parsed and validated at the edge, so applying them never depends
on a parser that may have changed between the request and its application, and nothing is
validated twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from plantao.alerts.schemas import AlertEvent, EventAction

_ACTIONS: frozenset[str] = frozenset({"firing", "resolved", "acknowledge"})


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def encode(event: AlertEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identity": event.identity,
        "action": event.action,
        "summary": event.summary,
        "source": event.source,
    }
    if event.labels:
        body["labels"] = event.labels
    if event.annotations:
        body["annotations"] = event.annotations
    if event.sender_severity is not None:
        body["sender_severity"] = event.sender_severity
    if event.starts_at is not None:
        body["starts_at"] = _time(event.starts_at)
    if event.ends_at is not None:
        body["ends_at"] = _time(event.ends_at)
    if event.sender_group_key is not None:
        body["sender_group_key"] = event.sender_group_key
    if event.details:
        body["details"] = event.details
    return body


def decode(body: dict[str, Any]) -> AlertEvent:
    """Rebuild an event; a malformed body raises ValueError (the entry is then marked failed)."""
    action = body.get("action")
    if action not in _ACTIONS:
        raise ValueError(f"stored event has an unknown action {action!r}")
    identity, summary, source = body.get("identity"), body.get("summary"), body.get("source")
    if not isinstance(identity, str) or not isinstance(summary, str) or not isinstance(source, str):
        raise ValueError("stored event lacks identity, summary or source")
    return AlertEvent(
        identity=identity,
        action=cast(EventAction, action),
        summary=summary,
        source=source,
        labels=dict(body.get("labels") or {}),
        annotations=dict(body.get("annotations") or {}),
        sender_severity=body.get("sender_severity"),
        starts_at=_parse_time(body.get("starts_at")),
        ends_at=_parse_time(body.get("ends_at")),
        sender_group_key=body.get("sender_group_key"),
        details=dict(body.get("details") or {}),
    )
