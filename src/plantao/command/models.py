"""Incident command tables: who wears which hat, status updates, the update cadence timer,
the checklist items people ticked, and the stakeholders who are kept informed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base

#: Seed 002's RACI. Every role is held by one person at a time except ``sme`` (subject-matter
#: experts), of which an incident can have several.
ROLES = ("incident_commander", "comms_lead", "ops_lead", "sme", "scribe")
UPDATE_STATUSES = ("investigating", "identified", "monitoring", "resolved")
UPDATE_KINDS = ("initial", "update", "resolution")
CHECKLISTS = ("setup", "close")
STAKEHOLDER_KINDS = ("user", "email", "slack", "teams", "mattermost", "webhook")
STAKEHOLDER_SCOPES = ("global", "team", "service")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class IncidentRole(Base):
    """One hat on one person. ``uq_incident_roles_one_hat`` is the database's backstop of the
    one-hat rule; ``ux_incident_roles_single`` keeps every role but ``sme`` to one holder."""

    __tablename__ = "incident_roles"
    __table_args__ = (
        CheckConstraint(f"role IN ({_in(ROLES)})", name="role_known"),
        UniqueConstraint("incident_id", "user_id", name="uq_incident_roles_one_hat"),
        Index(
            "ux_incident_roles_single",
            "incident_id",
            "role",
            unique=True,
            sqlite_where=text("role <> 'sme'"),
            postgresql_where=text("role <> 'sme'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime]


class StatusUpdate(Base):
    """A status update (seed 002 ``status-template``, 003 §4.3), kept whole: what was said, by
    whom, and when the next one is due. ``fanned_out_at`` is set once the engine has written
    the stakeholders' outbox rows for it (NULL: still to do)."""

    __tablename__ = "status_updates"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(UPDATE_KINDS)})", name="kind_known"),
        CheckConstraint(f"status IN ({_in(UPDATE_STATUSES)})", name="status_known"),
        Index("ix_status_updates_incident", "incident_id", "id"),
        Index("ix_status_updates_fanned_out", "fanned_out_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    impact: Mapped[str] = mapped_column(Text)
    symptoms: Mapped[str | None] = mapped_column(Text)
    mitigation: Mapped[str | None] = mapped_column(Text)
    #: ``[{"action", "owner", "eta"}]``
    next_steps: Mapped[list[dict[str, Any]]]
    #: Resolution updates only: duration, root cause, fix, monitoring period, postmortem date.
    resolution: Mapped[dict[str, Any] | None]
    posted_by: Mapped[str] = mapped_column(String(200))
    posted_at: Mapped[datetime]
    next_update_due_at: Mapped[datetime | None]
    fanned_out_at: Mapped[datetime | None]


class UpdateCadence(Base):
    """The reminder timer of an incident's status updates: a row with ``due_at`` and a fencing
    ``token``, like an escalation. Posting an update, a severity change or resolving changes
    the token, so a stale reminder job does nothing."""

    __tablename__ = "update_cadences"
    __table_args__ = (
        CheckConstraint("state IN ('active', 'stopped')", name="state_known"),
        Index("ix_update_cadences_due", "state", "next_due_at"),
    )

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(16))
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    next_due_at: Mapped[datetime | None]
    token: Mapped[int] = mapped_column(Integer, default=1)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    overdue_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ChecklistTick(Base):
    """An item of an incident's setup or close checklist that a person ticked by hand (items
    the data answers, such as "IC set", are computed, not stored)."""

    __tablename__ = "incident_checklist_ticks"
    __table_args__ = (CheckConstraint(f"checklist IN ({_in(CHECKLISTS)})", name="checklist_known"),)

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    checklist: Mapped[str] = mapped_column(String(16), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str | None] = mapped_column(String(200))
    ticked_by: Mapped[str] = mapped_column(String(200))
    ticked_at: Mapped[datetime]


class Stakeholder(Base):
    """Who is *Informed* (RACI) of a service's or team's incidents, or of all of them: a user
    (through their contact methods), an e-mail list, or a chat channel's incoming webhook.
    Updates reach them in ``language``; only incidents at ``min_severity`` or worse."""

    __tablename__ = "stakeholders"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(STAKEHOLDER_KINDS)})", name="kind_known"),
        CheckConstraint(f"scope IN ({_in(STAKEHOLDER_SCOPES)})", name="scope_known"),
        CheckConstraint("origin IN ('config', 'api')", name="origin_known"),
        CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL) OR (kind <> 'user' AND address IS NOT NULL)",
            name="has_target",
        ),
        UniqueConstraint("scope", "scope_slug", "name", name="uq_stakeholders_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    #: The team's or service's slug ("" for global).
    scope_slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str | None] = mapped_column(String(2048))
    #: Signs a generic webhook's body (``X-Plantao-Signature``); never shown after creation.
    secret: Mapped[str | None] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(8), default="en")
    min_severity: Mapped[str] = mapped_column(String(8), default="sev4")
    origin: Mapped[str] = mapped_column(String(8), default="api")
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
