"""Alert rows: one per (integration, identity) while firing; resolved rows are history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from plantao.alerts.label_index import INDEX_NAME, Alertname
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


# Similar past incidents finds a probe's alert family by its alertname (migration 0017).
Index(INDEX_NAME, Alertname(), Alert.incident_id)
