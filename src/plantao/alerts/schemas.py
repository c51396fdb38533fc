"""The normalised alert event every source parser produces and ``ingest`` consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

EventAction = Literal["firing", "resolved", "acknowledge"]


@dataclass
class AlertEvent:
    """One alert as a sender reported it, already validated."""

    identity: str
    action: EventAction
    summary: str
    source: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    sender_severity: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    sender_group_key: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
