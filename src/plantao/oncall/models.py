"""On-call tables: schedules, overrides, escalation policies and running escalations,
pages sent, silences (maintenance windows), heartbeat monitors and calendar-feed secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class OncallSchedule(Base):
    """A schedule; ``layers`` is the validated layer list (rotations, restrictions) as JSON."""

    __tablename__ = "oncall_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    layers: Mapped[list[dict[str, Any]]]
    ical_secret: Mapped[str] = mapped_column(String(64), unique=True)


class ScheduleOverride(Base):
    __tablename__ = "oncall_overrides"
    __table_args__ = (
        CheckConstraint("kind IN ('replace', 'add', 'remove')", name="kind_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    user: Mapped[str | None] = mapped_column(String(64))
    replaces: Mapped[str | None] = mapped_column(String(64))
    layer: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class EscalationPolicy(Base):
    """``body`` is :meth:`PolicySnapshot.to_dict` of the current definition."""

    __tablename__ = "oncall_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    body: Mapped[dict[str, Any]]


class ServicePolicy(Base):
    __tablename__ = "oncall_service_policies"
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int] = mapped_column(ForeignKey("oncall_policies.id", ondelete="CASCADE"))


class Escalation(Base):
    """The escalation state of one incident: a row with ``due_at`` and a fencing ``token``.

    Every change of plan (a step fired, ack, reopen, manual escalate) increments ``token``;
    a timer job carries the token it was written with and does nothing when they differ.
    """

    __tablename__ = "oncall_escalations"
    __table_args__ = (
        CheckConstraint(
            "state IN ('active', 'stopped', 'exhausted')",
            name="state_known",
        ),
    )
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    policy_slug: Mapped[str] = mapped_column(String(64))
    snapshot: Mapped[dict[str, Any]]
    cursor: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16))
    token: Mapped[int] = mapped_column(Integer, default=1)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime | None]
    notice: Mapped[str | None] = mapped_column(String(300))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    #: Escalation while acknowledged but unresolved (``oncall.unresolved``): the index of the
    #: next level of ``snapshot["unresolved"]``, its own fencing token, when it is due, and the
    #: instant its ``after`` counts from (the trigger or the reopen; None once mitigated).
    unresolved_next: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unresolved_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    unresolved_due_at: Mapped[datetime | None]
    unresolved_since: Mapped[datetime | None]


class Page(Base):
    """One person paged by one firing of an escalation (the notify outbox does the sending)."""

    __tablename__ = "oncall_pages"
    __table_args__ = (
        UniqueConstraint("incident_id", "firing", "user_id"),
        # On-call load KPIs: one person's pages in a period.
        Index("ix_oncall_pages_user_paged", "user_id", "paged_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    firing: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    urgency: Mapped[str] = mapped_column(String(8))
    paged_at: Mapped[datetime]


class Silence(Base):
    """A maintenance window or silence: one-off (``starts_at``/``ends_at``) or recurring."""

    __tablename__ = "oncall_silences"
    __table_args__ = (
        CheckConstraint("origin IN ('config', 'api')", name="origin_known"),
        Index("ix_oncall_silences_origin_name", "origin", "name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    recurrence: Mapped[dict[str, Any] | None]
    services: Mapped[list[str]]
    matchers: Mapped[list[str]]
    comment: Mapped[str] = mapped_column(String(2000), default="")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Heartbeat(Base):
    """A monitor that expects a beat every ``interval``; overdue after ``interval + grace``."""

    __tablename__ = "oncall_heartbeats"
    __table_args__ = (CheckConstraint("state IN ('waiting', 'ok', 'overdue')", name="state_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    grace_seconds: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    token: Mapped[int] = mapped_column(Integer, default=1)
    last_beat_at: Mapped[datetime | None]
    due_at: Mapped[datetime]


class UserFeed(Base):
    """The secret in a person's calendar-feed URL."""

    __tablename__ = "oncall_user_feeds"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64), unique=True)


class OncallSetting(Base):
    """Whole-document on-call settings (working hours) as validated JSON."""

    __tablename__ = "oncall_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[dict[str, Any]]
