"""PagerDuty Events API v2 compatibility (``/v2/enqueue`` and ``/v2/change/enqueue``).

Existing PagerDuty integrations must work by changing only the URL, so field names, limits,
the success body and the error body follow PagerDuty's documented API.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from plantao.alerts.schemas import AlertEvent
from plantao.intake.schemas import (
    Image,
    Link,
    SenderTime,
    put_images,
    put_links,
    put_url,
    real_time,
)


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: SenderTime | None = None
    component: str | None = Field(default=None, max_length=255)
    group: str | None = Field(default=None, max_length=255)
    class_: str | None = Field(default=None, alias="class", max_length=255)
    custom_details: Any = None


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore")
    routing_key: str = Field(min_length=1, max_length=64)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, max_length=255)
    payload: Payload | None = None
    client: str | None = Field(default=None, max_length=255)
    client_url: str | None = Field(default=None, max_length=2048)
    links: list[Link] = Field(default_factory=list, max_length=50)
    images: list[Image] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _shape_for_action(self) -> Event:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("'payload' is required for trigger events")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"'dedup_key' is required for {self.event_action} events")
        return self


class ChangePayload(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: str = Field(min_length=1, max_length=1024)
    timestamp: SenderTime | None = None
    source: str | None = Field(default=None, max_length=255)
    custom_details: Any = None


class ChangeEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    routing_key: str = Field(min_length=1, max_length=64)
    payload: ChangePayload
    links: list[Link] = Field(default_factory=list, max_length=50)


def to_alert_event(event: Event) -> AlertEvent:
    """Map an event to the common shape; PagerDuty fields become labels so routes can match."""
    dedup_key = event.dedup_key or uuid.uuid4().hex
    if event.event_action != "trigger":
        return AlertEvent(
            identity=dedup_key,
            action="resolved" if event.event_action == "resolve" else "acknowledge",
            summary="",
            source="pagerduty",
        )
    payload = event.payload
    assert payload is not None  # the model validator guarantees it for triggers
    labels = {
        key: value
        for key, value in (
            ("source", payload.source),
            ("severity", payload.severity),
            ("component", payload.component),
            ("group", payload.group),
            ("class", payload.class_),
        )
        if value
    }
    details: dict[str, Any] = {}
    if payload.custom_details is not None:
        details["custom_details"] = payload.custom_details
    put_links(details, event.links)
    put_images(details, event.images)
    if event.client:
        details["client"] = event.client
    put_url(details, "client_url", event.client_url)
    return AlertEvent(
        identity=dedup_key,
        action="firing",
        summary=payload.summary,
        source="pagerduty",
        labels=labels,
        annotations={"summary": payload.summary},
        sender_severity=payload.severity,
        starts_at=real_time(payload.timestamp),
        details=details,
    )
