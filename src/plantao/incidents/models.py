"""Incidents, their append-only timeline, and the per-day counter behind human ids."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(
            "status IN ('triggered', 'acknowledged', 'mitigated', 'resolved', 'closed')",
            name="status_known",
        ),
        CheckConstraint("severity IN ('sev1', 'sev2', 'sev3', 'sev4')", name="severity_known"),
        Index("ix_incidents_group", "service_id", "group_key", "status"),
        Index("ix_incidents_status_triggered", "status", "triggered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    route_id: Mapped[int | None] = mapped_column(ForeignKey("routes.id", ondelete="SET NULL"))
    group_key: Mapped[str] = mapped_column(String(1024))
    group_window_seconds: Mapped[int] = mapped_column(Integer, default=86400)
    auto_resolve: Mapped[bool] = mapped_column(default=True)
    detected_at: Mapped[datetime]
    triggered_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    mitigated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    last_alert_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class TimelineEntry(Base):
    """Append-only: entries are never updated or deleted (database triggers enforce it)."""

    __tablename__ = "timeline_entries"
    __table_args__ = (Index("ix_timeline_incident_at", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]]


class IncidentCounter(Base):
    """Per-UTC-day sequence for ``INC-YYYYMMDD-N``; incremented with an atomic upsert."""

    __tablename__ = "incident_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
