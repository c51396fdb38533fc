"""Prometheus Alertmanager webhook (payload version 4) and Grafana unified alerting.

Alertmanager posts the whole group on every notification, firing and resolved together, and
re-sends it every ``group_interval``; so each element is parsed on its own and a malformed one is
reported without rejecting its siblings. Unknown fields are ignored: newer senders add fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plantao.alerts.identity import labels_fingerprint
from plantao.alerts.schemas import AlertEvent
from plantao.intake import limits
from plantao.intake.schemas import (
    Rejected,
    SenderTime,
    describe_validation_error,
    put_url,
    real_time,
)

MAX_ALERTS = 10_000
LabelMap = dict[str, str]


class AlertmanagerAlert(BaseModel):
    model_config = ConfigDict(extra="ignore")
    status: Literal["firing", "resolved"]
    labels: LabelMap = Field(min_length=1, max_length=200)
    annotations: LabelMap = Field(default_factory=dict, max_length=200)
    startsAt: SenderTime | None = None  # noqa: N815 - sender's field name
    endsAt: SenderTime | None = None  # noqa: N815
    generatorURL: str | None = None  # noqa: N815
    fingerprint: str | None = Field(default=None, max_length=128)
    # Grafana additions
    dashboardURL: str | None = None  # noqa: N815
    panelURL: str | None = None  # noqa: N815
    silenceURL: str | None = None  # noqa: N815
    valueString: str | None = None  # noqa: N815


class AlertmanagerEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore")
    version: str | None = None
    groupKey: str | None = Field(default=None, max_length=4096)  # noqa: N815
    status: str | None = None
    receiver: str | None = None
    externalURL: str | None = None  # noqa: N815
    truncatedAlerts: int = 0  # noqa: N815
    alerts: list[Any] = Field(max_length=MAX_ALERTS)
    # Grafana additions
    title: str | None = None
    message: str | None = None


def summary_of(labels: LabelMap, annotations: LabelMap) -> str:
    for key in ("summary", "message", "title", "description"):
        value = annotations.get(key)
        if value and value.strip():
            return value.strip().splitlines()[0][:1024]
    return labels.get("alertname", "alert")[:1024]


def parse(body: Any, *, source: str = "alertmanager") -> tuple[list[AlertEvent], list[Rejected]]:
    """Raise ValidationError (or ``limits.Unacceptable``) for a bad envelope; return accepted
    events and rejected elements."""
    limits.check_envelope(body, "alerts")
    envelope = AlertmanagerEnvelope.model_validate(body)
    events: list[AlertEvent] = []
    rejected: list[Rejected] = []
    for index, raw in enumerate(envelope.alerts):
        # Depth 2: the body and its "alerts" list hold every element.
        unstorable = limits.violation(raw, f"alerts[{index}]", depth=2)
        if unstorable is not None:
            rejected.append(Rejected(index, str(unstorable)))
            continue
        try:
            alert = AlertmanagerAlert.model_validate(raw)
        except ValidationError as exc:
            rejected.append(Rejected(index, describe_validation_error(exc, f"alerts[{index}].")))
            continue
        details: dict[str, Any] = {}
        for key, url in (
            ("generator_url", alert.generatorURL),
            ("dashboard_url", alert.dashboardURL),
            ("panel_url", alert.panelURL),
            ("silence_url", alert.silenceURL),
            ("external_url", envelope.externalURL),
        ):
            put_url(details, key, url)
        for key, value in (("value", alert.valueString), ("receiver", envelope.receiver)):
            if value:
                details[key] = value
        events.append(
            AlertEvent(
                identity=alert.fingerprint or labels_fingerprint(alert.labels),
                action=alert.status,
                summary=summary_of(alert.labels, alert.annotations),
                source=source,
                labels=alert.labels,
                annotations=alert.annotations,
                sender_severity=None,
                starts_at=real_time(alert.startsAt),
                ends_at=real_time(alert.endsAt) if alert.status == "resolved" else None,
                sender_group_key=envelope.groupKey,
                details=details,
            )
        )
    return events, rejected
