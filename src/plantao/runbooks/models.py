"""What an incident keeps of runbooks: links, checklists with their items, and guarded runs.

Runbooks themselves live in files (git is their history); the database records only what
happened during an incident, pinned to the exact version (content hash) that people saw, so a
postmortem can tell which text was followed even after the runbook has been edited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base

LINK_SOURCES = ("annotation", "matcher", "suggestion", "manual")
RUN_STATUSES = (
    "pending_approval",
    "queued",
    "running",
    "succeeded",
    "failed",
    "expired",
    "refused",
)


class RunbookLink(Base):
    """A runbook linked to (or suggested for) an incident; one row per runbook per incident.

    ``ref`` is the runbook id, or the URL of an alert's ``runbook_url`` annotation that names no
    runbook of the library (an external wiki page is still worth showing).
    """

    __tablename__ = "runbook_links"
    __table_args__ = (
        UniqueConstraint("incident_id", "ref"),
        CheckConstraint(
            "source IN ('annotation', 'matcher', 'suggestion', 'manual')", name="source_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(1024))
    runbook_id: Mapped[str | None] = mapped_column(String(128))
    lang: Mapped[str | None] = mapped_column(String(8))
    version: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(512))
    source: Mapped[str] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    why: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    confirmed_version: Mapped[str | None] = mapped_column(String(64))


class Checklist(Base):
    """Triage questions or a runbook's steps attached to an incident; ``key`` makes it unique
    per incident (``triage``, ``runbook:<id>``) so attaching twice returns the same list."""

    __tablename__ = "checklists"
    __table_args__ = (
        UniqueConstraint("incident_id", "key"),
        CheckConstraint("kind IN ('triage', 'runbook')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(512))
    lang: Mapped[str] = mapped_column(String(8))
    runbook_id: Mapped[str | None] = mapped_column(String(128))
    runbook_version: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class ChecklistItem(Base):
    __tablename__ = "checklist_items"
    __table_args__ = (Index("ix_checklist_items_list", "checklist_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(ForeignKey("checklists.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    hint: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(String(32), default="")
    checked_at: Mapped[datetime | None]
    checked_by: Mapped[str | None] = mapped_column(String(200))


class RunbookRun(Base):
    """One request to run a guarded action, from request through approval to its outcome.

    Output is stored only after redaction; secret parameter values are never stored at all
    (the engine reads them from its own environment, see docs/runbooks.md).
    """

    __tablename__ = "runbook_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending_approval', 'queued', 'running', 'succeeded', 'failed', "
            "'expired', 'refused')",
            name="status_known",
        ),
        CheckConstraint("danger IN ('read', 'mutate', 'destructive')", name="danger_known"),
        Index("ix_runbook_runs_incident", "incident_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    runbook_id: Mapped[str] = mapped_column(String(128))
    lang: Mapped[str] = mapped_column(String(8))
    runbook_version: Mapped[str] = mapped_column(String(64))
    action_id: Mapped[str] = mapped_column(String(128))
    danger: Mapped[str] = mapped_column(String(16))
    command: Mapped[str] = mapped_column(Text)
    command_sha256: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(24))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    confirmation_sha256: Mapped[str | None] = mapped_column(String(64))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    exit_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    timed_out: Mapped[bool] = mapped_column(default=False)
    truncated: Mapped[bool] = mapped_column(default=False)
    stdout: Mapped[str] = mapped_column(Text, default="")
    stderr: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
