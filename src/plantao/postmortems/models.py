"""Postmortem tables: the business calendars RCA windows are counted in, postmortems with
their versions and reviews, corrective actions, and the release gate's overrides, settings and
recorded decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base

POSTMORTEM_STATES = ("draft", "in_review", "published")
#: Seed 002's root-cause taxonomy, a change split by what changed.
ROOT_CAUSES = (
    "change_config",
    "change_code",
    "change_infra",
    "capacity",
    "external_dependency",
    "data",
    "security",
    "process",
)
#: Seed 001: quick fix / hardening / prevention; ``follow_up`` for the Learn step's reviews
#: (runbook, dashboard, alert, ADR).
ACTION_KINDS = ("quick_fix", "hardening", "prevention", "follow_up")
ACTION_STATUSES = ("open", "in_progress", "done", "wont_do")
#: Statuses that still count against the gate and the due-date reminders.
ACTION_OPEN = ("open", "in_progress")
REVIEW_DECISIONS = ("pending", "approved", "changes_requested")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class BusinessCalendar(Base):
    """Where RCA windows counted in business days are counted: a time zone, the working days
    (ISO weekday digits, ``12345`` = Monday to Friday) and holidays
    (``[{"date": "2026-12-25", "name": "Natal"}]``). ``team_id`` NULL is the installation's
    default; a team's own calendar wins for its services' incidents."""

    __tablename__ = "business_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), unique=True
    )
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    workdays: Mapped[str] = mapped_column(String(7), default="12345", server_default="12345")
    holidays: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    updated_at: Mapped[datetime]


class Postmortem(Base):
    """One per incident. ``markdown`` is the current text (``version`` its number); every saved
    text is also a :class:`PostmortemVersion`. ``required`` comes from the severity (Sev1–3);
    ``due_at`` from its RCA window in the team's business calendar. ``reminder_token`` fences
    the due-date reminder jobs: a new due date or owner bumps it and stale jobs drop."""

    __tablename__ = "postmortems"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(POSTMORTEM_STATES)})", name="status_known"),
        CheckConstraint(
            f"root_cause IS NULL OR root_cause IN ({_in(ROOT_CAUSES)})", name="root_cause_known"
        ),
        Index("ix_postmortems_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    required: Mapped[bool] = mapped_column(default=True)
    due_at: Mapped[datetime | None]
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    markdown: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: Seed 002's taxonomy, chosen by the author (KPIs count incidents by it).
    root_cause: Mapped[str | None] = mapped_column(String(32))
    #: The change event the author linked as the cause (KPIs: change-caused share).
    cause_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("change_events.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(200))
    reminder_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PostmortemVersion(Base):
    """Every saved text, kept: who wrote it, when, and why (append-only)."""

    __tablename__ = "postmortem_versions"
    __table_args__ = (
        UniqueConstraint("postmortem_id", "version", name="uq_postmortem_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(500))


class PostmortemReview(Base):
    """A reviewer asked to approve a postmortem, and their answer."""

    __tablename__ = "postmortem_reviews"
    __table_args__ = (
        CheckConstraint(f"decision IN ({_in(REVIEW_DECISIONS)})", name="decision_known"),
        UniqueConstraint("postmortem_id", "reviewer_user_id", name="uq_postmortem_reviews_one"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    reviewer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    decision: Mapped[str] = mapped_column(String(24), default="pending", server_default="pending")
    decided_at: Mapped[datetime | None]
    #: The version the decision was given on (an edit after approval asks again).
    decided_version: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class CorrectiveAction(Base):
    """A corrective action (seed 002 action tracking). Its id is ``AC-<id>`` (two digits at
    least), unique across the installation like a ticket key, so ``AC-07`` names one action in
    the gate's answer, a CI log or a chat message. ``service_id``/``environment`` say which
    releases a must-fix action blocks (the incident's service; every environment when NULL).
    ``incident_id`` is the postmortem's incident, kept here so the gate answers from one index.
    """

    __tablename__ = "corrective_actions"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(ACTION_KINDS)})", name="kind_known"),
        CheckConstraint(f"status IN ({_in(ACTION_STATUSES)})", name="status_known"),
        CheckConstraint(f"severity IN ({_in(SEVERITIES)})", name="severity_known"),
        CheckConstraint("status <> 'wont_do' OR reason IS NOT NULL", name="wont_do_has_reason"),
        Index("ix_corrective_actions_gate", "service_id", "must_fix", "status"),
        Index("ix_corrective_actions_due", "status", "due_date"),
        Index("ix_corrective_actions_postmortem", "postmortem_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    postmortem_id: Mapped[int] = mapped_column(ForeignKey("postmortems.id", ondelete="CASCADE"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    environment: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date] = mapped_column(Date)
    severity: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16), default="quick_fix")
    must_fix: Mapped[bool] = mapped_column(default=False, server_default=false())
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    #: Why it will not be done (required for ``wont_do``).
    reason: Mapped[str | None] = mapped_column(Text)
    ticket_url: Mapped[str | None] = mapped_column(String(2000))
    #: Seed 001: "how we will measure prevention" (a metric, an alarm, a test).
    measure: Mapped[str | None] = mapped_column(Text)
    #: Which Learn-step suggestion it came from (``runbook``, ``dashboard``, ``alert``, ``adr``).
    origin: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    reminder_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GateSetting(Base):
    """How the release gate treats a service (``service_id`` NULL: the installation default):
    whether open incidents of these severities block (seed default ``sev1,sev2``)."""

    __tablename__ = "gate_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), unique=True
    )
    block_open_severities: Mapped[str] = mapped_column(
        String(64), default="sev1,sev2", server_default="sev1,sev2"
    )
    updated_at: Mapped[datetime]


class GateOverride(Base):
    """An admin's "ship anyway" for a service (and environment, or every one when NULL) until
    ``expires_at``, with the reason; audited."""

    __tablename__ = "gate_overrides"
    __table_args__ = (Index("ix_gate_overrides_service", "service_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    environment: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class GateDecision(Base):
    """Every answer the gate gave: who asked, about what, the answer and its reasons."""

    __tablename__ = "gate_decisions"
    __table_args__ = (Index("ix_gate_decisions_service", "service_id", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime]
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    environment: Mapped[str | None] = mapped_column(String(64))
    asked_by: Mapped[str] = mapped_column(String(200))
    via: Mapped[str] = mapped_column(String(16))
    allowed: Mapped[bool]
    #: ``[{"kind": "action"|"incident", "id": "AC-03"|"INC-…", …}]``
    blocking: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    override_id: Mapped[int | None] = mapped_column(
        ForeignKey("gate_overrides.id", ondelete="SET NULL")
    )


class ReviewSending(Base):
    """A weekly operational review e-mailed to a team (``team_id`` NULL: the installation's
    review): one row per team and ISO week, so two engines never send it twice."""

    __tablename__ = "review_sendings"
    __table_args__ = (UniqueConstraint("team_key", "week", name="uq_review_sendings_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The team's slug, or ``*`` for the installation (NULLs would not be unique).
    team_key: Mapped[str] = mapped_column(String(64))
    week: Mapped[str] = mapped_column(String(8))
    sent_at: Mapped[datetime]
    recipients: Mapped[int] = mapped_column(Integer, default=0)
