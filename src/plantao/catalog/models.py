"""Tables for the configuration objects that ``plantao apply`` declares and the UI edits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class Service(Base):
    __tablename__ = "services"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))


class Integration(Base):
    """A sender's entry point; its key authenticates intake, as a PagerDuty routing key does.

    The key is kept in clear because admins must be able to read it back to configure senders
    (as in PagerDuty); it is never logged and is redacted from access logs.
    """

    __tablename__ = "integrations"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('alertmanager', 'grafana', 'pagerduty', 'generic')", name="kind_known"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))


class Route(Base):
    """Label matchers → service, with how alerts of that service are grouped into incidents."""

    __tablename__ = "routes"
    __table_args__ = (
        UniqueConstraint("position"),
        CheckConstraint("group_window_seconds > 0", name="window_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    matchers: Mapped[list[str]] = mapped_column(default=list)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    group_by: Mapped[list[str]] = mapped_column(default=list)
    group_window_seconds: Mapped[int] = mapped_column(Integer, default=86400)
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    severity: Mapped[str | None] = mapped_column(String(8))


class ConfigDocument(Base):
    """Whole-document settings such as the severity matrix, stored as validated JSON."""

    __tablename__ = "config_documents"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
