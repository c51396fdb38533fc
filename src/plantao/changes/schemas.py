"""A change event as intake stores it in the inbox and ``changes`` records it.

The edge validates the PagerDuty change body once; the inbox keeps the result as JSON, so
recording it later never depends on a parser that may have changed in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ChangeIn:
    summary: str
    source: str | None
    occurred_at: datetime | None
    details: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "source": self.source,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "details": self.details,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ChangeIn:
        """Rebuild a stored change; a malformed body raises ValueError (the entry is then set
        aside as failed)."""
        summary, source = body.get("summary"), body.get("source")
        occurred_at, details = body.get("occurred_at"), body.get("details")
        if not isinstance(summary, str) or not isinstance(details, dict):
            raise ValueError("stored change event lacks a summary or details")
        if source is not None and not isinstance(source, str):
            raise ValueError("stored change event has a source that is not text")
        if occurred_at is not None and not isinstance(occurred_at, str):
            raise ValueError("stored change event has a time that is not text")
        when = datetime.fromisoformat(occurred_at) if occurred_at is not None else None
        return cls(summary=summary, source=source, occurred_at=when, details=details)
