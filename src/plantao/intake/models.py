"""The intake inbox: accepted requests held until the engine applies them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class InboxEntry(Base):
    """One accepted intake request, committed before the sender got its 2xx.

    The row is deleted in the same transaction that applies it, so a crash at any point leaves
    it either pending or applied, never both and never neither. A row that fails to apply is
    kept as ``failed`` with the error instead of being dropped.
    """

    __tablename__ = "intake_inbox"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'failed')", name="state_known"),
        Index("ix_intake_inbox_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    events: Mapped[list[dict[str, Any]]]
    alert_count: Mapped[int] = mapped_column(Integer)
    request_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
