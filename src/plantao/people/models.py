"""Users, service accounts, teams and memberships, and the append-only audit log.

People sit low in the house (just under auth) because every domain names who did something:
the timeline's actor, a schedule's participant, a token's owner, an audit entry's author.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base

ROLES = ("viewer", "responder", "manager", "admin")
USER_KINDS = ("user", "service")


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class User(Base):
    """A person, or a service account (``kind='service'``) that owns tokens for a machine.

    ``global_role`` applies to every team (an admin administers the installation; a service
    account for CI may be a responder everywhere); a membership can raise it for one team.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("kind IN ('user', 'service')", name="kind_known"),
        CheckConstraint(
            "global_role IN ('none', 'viewer', 'responder', 'manager', 'admin')",
            name="global_role_known",
        ),
        UniqueConstraint("oidc_issuer", "oidc_subject"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="en")
    kind: Mapped[str] = mapped_column(String(8), default="user", server_default="user")
    global_role: Mapped[str] = mapped_column(String(16), default="viewer", server_default="viewer")
    password_hash: Mapped[str | None] = mapped_column(String(200), default=None)
    oidc_issuer: Mapped[str | None] = mapped_column(String(500), default=None)
    oidc_subject: Mapped[str | None] = mapped_column(String(255), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    login_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime | None] = mapped_column(default=None)


class TeamMembership(Base):
    __tablename__ = "team_memberships"
    __table_args__ = (
        CheckConstraint("role IN ('viewer', 'responder', 'manager', 'admin')", name="role_known"),
    )
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="responder", server_default="responder")


class AuditEntry(Base):
    """Append-only (database triggers refuse UPDATE and DELETE, as for the timeline).

    ``before``/``after`` hold the object's fields around the change, with secrets removed by the
    writer (``plantao.people.audit``), so the log can be exported without leaking them.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_object", "object_type", "object_id"),
        Index("ix_audit_actor", "actor"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    # No foreign key: the log outlives the people in it (an append-only row cannot be updated
    # to NULL when its author is deleted), and ``actor`` keeps their handle.
    actor_user_id: Mapped[int | None] = mapped_column(default=None)
    via: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
