"""A plain JSON webhook for senders with no format of their own (scripts, CI, cron jobs).

Accepts one alert object, a list of them, or ``{"alerts": [...]}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plantao.alerts.identity import labels_fingerprint
from plantao.alerts.schemas import AlertEvent
from plantao.intake import limits
from plantao.intake.schemas import (
    Link,
    Rejected,
    SenderTime,
    describe_validation_error,
    put_links,
    real_time,
)

MAX_ALERTS = 10_000


class GenericAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str = Field(min_length=1, max_length=1024)
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    status: Literal["firing", "resolved", "trigger", "resolve"] = "firing"
    severity: str | None = Field(default=None, max_length=32)
    labels: dict[str, str] = Field(default_factory=dict, max_length=200)
    annotations: dict[str, str] = Field(default_factory=dict, max_length=200)
    links: list[Link] = Field(default_factory=list, max_length=50)
    description: str | None = Field(default=None, max_length=20_000)
    source: str | None = Field(default=None, max_length=255)
    starts_at: SenderTime | None = None


class NotABatch(ValueError):
    """The body is neither an alert object, a list, nor ``{"alerts": [...]}``."""


def parse(body: Any) -> tuple[list[AlertEvent], list[Rejected]]:
    # ``depth``: how many containers hold each element (for the nesting limit).
    if isinstance(body, dict) and isinstance(body.get("alerts"), list):
        limits.check_envelope(body, "alerts")
        items: list[Any] = body["alerts"]
        single, depth = False, 2
    elif isinstance(body, list):
        items, single, depth = body, False, 1
    elif isinstance(body, dict):
        items, single, depth = [body], True, 0
    else:
        raise NotABatch("body: expected a JSON object or a list of objects")
    if len(items) > MAX_ALERTS:
        raise NotABatch(f"alerts: at most {MAX_ALERTS} alerts per request")
    events: list[AlertEvent] = []
    rejected: list[Rejected] = []
    for index, raw in enumerate(items):
        unstorable = limits.violation(raw, "" if single else f"alerts[{index}]", depth)
        if unstorable is not None:
            rejected.append(Rejected(index, str(unstorable)))
            continue
        try:
            alert = GenericAlert.model_validate(raw)
        except ValidationError as exc:
            prefix = "" if single else f"alerts[{index}]."
            rejected.append(Rejected(index, describe_validation_error(exc, prefix)))
            continue
        annotations = dict(alert.annotations)
        annotations.setdefault("summary", alert.title)
        if alert.description:
            annotations.setdefault("description", alert.description)
        identity_labels = dict(alert.labels) | {"__title__": alert.title}
        details: dict[str, Any] = {}
        put_links(details, alert.links)
        if alert.source:
            details["source"] = alert.source
        events.append(
            AlertEvent(
                identity=alert.dedup_key or labels_fingerprint(identity_labels),
                action="resolved" if alert.status in ("resolved", "resolve") else "firing",
                summary=alert.title,
                source="generic",
                labels=alert.labels,
                annotations=annotations,
                sender_severity=alert.severity,
                starts_at=real_time(alert.starts_at),
                details=details,
            )
        )
    return events, rejected
