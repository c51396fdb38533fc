"""Shift checklists, test pages and recurring operational routines (seed 003 §7 and §11).

Why tables and not only configuration: ticks, test-page results and routine tasks are facts
with an author and a time, counted by the KPIs; the declarations come from ``plantao.yaml``
(``origin = 'config'``) or the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class ShiftChecklist(Base):
    """The start/during/end checklist shown to whoever is on call for one schedule."""

    __tablename__ = "oncall_shift_checklists"
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    items: Mapped[list[dict[str, Any]]]
    origin: Mapped[str] = mapped_column(String(8), default="api")
    updated_at: Mapped[datetime]


class ShiftTick(Base):
    """One checklist item done during one shift (the shift is named by its start)."""

    __tablename__ = "oncall_shift_ticks"
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    shift_start: Mapped[datetime] = mapped_column(primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ticked_at: Mapped[datetime]


class SelfTestPage(Base):
    """A test page a person sent to themselves; its deliveries carry the per-channel result."""

    __tablename__ = "oncall_test_pages"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    #: The outbox keys of its deliveries, one per contact method: read back by unique key.
    delivery_keys: Mapped[list[str]]


class Routine(Base):
    """A recurring operational task (daily alert review, monthly restore test...)."""

    __tablename__ = "oncall_routines"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title_en: Mapped[str] = mapped_column(String(200))
    title_pt: Mapped[str] = mapped_column(String(200))
    recurrence: Mapped[dict[str, Any]]
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="SET NULL")
    )
    remind_after_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    origin: Mapped[str] = mapped_column(String(8), default="api")
    #: Occurrences before this instant are never created (a new routine does not owe the past).
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class RoutineTask(Base):
    """One occurrence of a routine, assigned to whoever was on call when it fell due."""

    __tablename__ = "oncall_routine_tasks"
    __table_args__ = (
        UniqueConstraint("routine_id", "due_at", name="uq_oncall_routine_tasks_occurrence"),
        Index("ix_oncall_routine_tasks_due", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    routine_id: Mapped[int] = mapped_column(ForeignKey("oncall_routines.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    assignee_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
