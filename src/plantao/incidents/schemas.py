"""API shapes for incidents. Inputs are validated here, once, at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    kind: str
    actor: str
    message: str
    data: dict[str, Any]


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    identity: str
    source: str
    status: str
    summary: str
    severity: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    details: dict[str, Any]
    starts_at: datetime
    ends_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    repeat_count: int
    flap_count: int


class RoleOut(BaseModel):
    """Who wears one hat (seed 002 RACI)."""

    role: str
    user: str
    name: str
    assigned_at: datetime | None


class ResponderOut(BaseModel):
    """Someone asked onto the incident, and whether they answered: ``paged``,
    ``acknowledged`` or ``joined``; ``via`` is ``user``, ``schedule:<slug>`` or
    ``policy:<slug>``."""

    user: str
    name: str
    state: str
    via: str
    added_by: str
    added_at: datetime
    paged_at: datetime | None
    acknowledged_at: datetime | None
    joined_at: datetime | None


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    human_id: str
    #: The human id again (``INC-YYYYMMDD-N``), under the name the declare API promises.
    number: str
    title: str
    status: str
    severity: str
    priority: str
    service: str
    group_key: str
    detected_at: datetime
    triggered_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    alert_count: int
    allowed_actions: list[str]
    targets: dict[str, Any]
    description: str | None = None
    private: bool = False
    category: str | None = None
    roles: list[RoleOut] = []
    #: When the next status update is due (None: at close, or no cadence running).
    next_update_due_at: datetime | None = None
    update_overdue: bool = False


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    summary: str
    source: str | None
    occurred_at: datetime
    details: dict[str, Any]


class DeliveryOut(BaseModel):
    """One page to one person's contact method and what became of it: ``state`` is queued,
    sending, held, retrying, sent, failed (refused for good, e.g. e-mail not configured), dead
    (gave up after its attempts), cancelled or bundled; ``reason`` is the provider's last error,
    with credentials redacted."""

    user: str
    channel: str
    contact: str | None
    state: str
    reason: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None


class IncidentDetail(IncidentOut):
    alerts: list[AlertOut]
    timeline: list[TimelineEntryOut]
    recent_changes: list[ChangeOut]
    responders: list[ResponderOut] = []
    #: Every page's deliveries, oldest page first (failed and retrying ones included).
    deliveries: list[DeliveryOut] = []


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: str | None


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=20_000)


class CloseIn(ActionIn):
    """Closing with close-checklist items unchecked needs ``reason`` (recorded on the
    timeline with the items); without one the close is refused (409) naming them."""

    reason: str | None = Field(default=None, max_length=2000)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=20_000)
    kind: Literal["fact", "inference", "action", "decision"] = "fact"


class SeverityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: str = Field(min_length=1, max_length=16)
    reason: str | None = Field(default=None, max_length=500)
