"""Shift handoffs: one row per schedule and shift change, generated before it and sent at it.

Why a row per boundary with a unique constraint: two engines may both notice the same shift
change; the constraint makes generation idempotent and ``status`` + ``sent_at`` make the
delivery happen once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class Handoff(Base):
    """The note from the outgoing to the incoming on-call person at ``handoff_at``."""

    __tablename__ = "oncall_handoffs"
    __table_args__ = (
        UniqueConstraint("schedule_id", "handoff_at", name="uq_oncall_handoffs_schedule_at"),
        CheckConstraint("status IN ('draft', 'sent')", name="status_known"),
        Index("ix_oncall_handoffs_due", "status", "send_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("oncall_schedules.id", ondelete="CASCADE"))
    handoff_at: Mapped[datetime]
    outgoing: Mapped[list[str]]
    incoming: Mapped[list[str]]
    status: Mapped[str] = mapped_column(String(16), default="draft")
    facts: Mapped[dict[str, Any]]
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_by: Mapped[str | None] = mapped_column(String(200))
    notes_at: Mapped[datetime | None]
    send_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    recipients: Mapped[list[dict[str, Any]]]
    created_at: Mapped[datetime]
