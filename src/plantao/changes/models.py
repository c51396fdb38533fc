"""Change events received through the PagerDuty-compatible change endpoint."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class ChangeEvent(Base):
    __tablename__ = "change_events"
    __table_args__ = (Index("ix_change_events_service_at", "service_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str | None] = mapped_column(String(255))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    details: Mapped[dict[str, Any]]
