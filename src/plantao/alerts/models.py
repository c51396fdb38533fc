"""Alert rows (one per (integration, identity) while firing; resolved rows are history) and the
intake inbox that holds accepted requests until the engine applies them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint("status IN ('firing', 'resolved')", name="status_known"),
        # The dedup backstop: two concurrent deliveries of a new alert cannot both insert.
        Index(
            "uq_alerts_open_identity",
            "integration_id",
            "identity",
            unique=True,
            sqlite_where=text("status = 'firing'"),
            postgresql_where=text("status = 'firing'"),
        ),
        Index("ix_alerts_identity_resolved", "integration_id", "identity", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    identity: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(String(1024))
    severity: Mapped[str] = mapped_column(String(8))
    labels: Mapped[dict[str, Any]]
    annotations: Mapped[dict[str, Any]]
    details: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(32))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)
    flap_count: Mapped[int] = mapped_column(Integer, default=0)


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
