"""Incidents, their append-only timeline, the per-day counter behind human ids, and the
reaction markers the engine picks up (``incident_reactions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from plantao.db import Base
from plantao.incidents.lifecycle import Status


class StatusType(TypeDecorator[Status]):
    """The lifecycle enum stored as its value in a ``VARCHAR(16)`` (the check constraint names
    the values), so ``incident.status`` is a :class:`Status` in Python and text in SQL."""

    impl = String(16)
    cache_ok = True

    def process_bind_param(self, value: Status | str | None, dialect: Dialect) -> str | None:
        return None if value is None else Status(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Status | None:
        return None if value is None else Status(value)


#: Reasons to declare an incident by hand (seed 002 "Critérios de abertura"). ``security`` and
#: ``data_leak`` set the data-risk posture: escalation beyond level 1 starts at once. Checked by
#: the schemas at the edge (a CHECK would make SQLite rebuild ``incidents`` to add it).
INCIDENT_CATEGORIES = ("customer_report", "slo_breach", "data_leak", "cost", "security", "other")


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
        # KPIs select a period of incidents whatever their status.
        Index("ix_incidents_triggered_at", "triggered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(1024))
    status: Mapped[Status] = mapped_column(StatusType())
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
    #: What a person wrote when declaring it by hand (alerts leave it empty).
    description: Mapped[str | None] = mapped_column(Text)
    #: Visible only to its responders and admins (security, LGPD: seed 002, 003 §8.4).
    private: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Why it was declared by hand (seed 002 "Critérios de abertura"); None for alerts.
    category: Mapped[str | None] = mapped_column(String(32))


class TimelineEntry(Base):
    """Append-only: entries are never updated or deleted (database triggers enforce it)."""

    __tablename__ = "timeline_entries"
    __table_args__ = (
        Index("ix_timeline_incident_at", "incident_id", "id"),
        # KPIs read one kind of entry (resolutions, reopenings) for a period's incidents.
        Index("ix_timeline_kind_incident", "kind", "incident_id"),
    )

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


REACTION_KINDS = ("opened", "status", "alerts", "severity")


class IncidentReaction(Base):
    """A fact about an incident that higher domains react to, written in the transaction of the
    change and deleted by the engine's reaction step once it has reacted (see docs/engine.md).

    ``opened``: the incident was opened. ``status``: a lifecycle transition to ``status`` by
    ``actor``. ``alerts``: new alerts joined it; ``alerts`` holds their labels and annotations
    (what runbook linking ranks on), because alert rows are written without returning ids and
    finding them again by identity would read a storm incident's every alert per batch.
    ``severity``: the severity changed (the status-update cadence takes the new interval).
    """

    __tablename__ = "incident_reactions"
    __table_args__ = (
        CheckConstraint(
            "kind IN (" + ", ".join(f"'{k}'" for k in REACTION_KINDS) + ")", name="kind_known"
        ),
        Index("ix_incident_reactions_incident", "incident_id", "kind"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str | None] = mapped_column(String(16))
    actor: Mapped[str | None] = mapped_column(String(200))
    alerts: Mapped[list[dict[str, Any]] | None]
    created_at: Mapped[datetime]


RESPONDER_STATES = ("paged", "acknowledged", "joined")


class IncidentResponder(Base):
    """A person added to an incident: by hand, or through a schedule or escalation policy
    asked to help ("page the DBA", seed 003 §9.2). Being one lets them act on it even when the
    incident belongs to a team where they hold no responder role (RBAC by team), and see it when
    it is private.

    ``state``: ``paged`` (outbox rows written), ``acknowledged`` (they answered the page),
    ``joined`` (they are working on it; someone added by hand joins at once).
    ``via``: ``user``, ``schedule:<slug>`` or ``policy:<slug>``.
    """

    __tablename__ = "incident_responders"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in RESPONDER_STATES) + ")", name="state_known"
        ),
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="joined", server_default="joined")
    via: Mapped[str] = mapped_column(String(200), default="user", server_default="user")
    paged_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]
