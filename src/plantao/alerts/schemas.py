"""The normalised alert event every source parser produces, and shared edge types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventAction = Literal["firing", "resolved", "acknowledge"]
EPOCH_FLOOR = datetime(1971, 1, 1, tzinfo=UTC)


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


@dataclass(frozen=True)
class Rejected:
    """An element of a batch that was not accepted, reported back to the sender."""

    index: int
    error: str


class Link(BaseModel):
    model_config = ConfigDict(extra="ignore")
    href: str = Field(min_length=1, max_length=2048)
    text: str | None = Field(default=None, max_length=1024)


def real_time(value: datetime | None) -> datetime | None:
    """Alertmanager's ``0001-01-01T00:00:00Z`` (and naive values) mean "not set" or UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return None if value < EPOCH_FLOOR else value


def describe_validation_error(exc: Exception, prefix: str = "") -> str:
    """Turn a pydantic error into ``field.path: message`` lines a sender can act on."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for err in errors():
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        where = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
