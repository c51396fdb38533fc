"""What responders said about suggested runbooks: one row per vote, per alert family.

Kept apart from ``runbook_links`` because a vote outlives its incident (deleting an incident
keeps the installation's learning, the incident id just becomes NULL) and because the ranker
reads votes by alert family across incidents, never by incident.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class RunbookFeedback(Base):
    """A responder's verdict (+1 confirm or link, -1 reject) on a runbook for an alert family
    (``tokens.family_key`` of the alert's labels)."""

    __tablename__ = "runbook_feedback"
    __table_args__ = (
        CheckConstraint("verdict IN (1, -1)", name="verdict_known"),
        CheckConstraint("kind IN ('confirm', 'reject', 'link')", name="kind_known"),
        Index("ix_runbook_feedback_family", "family", "runbook_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(200))
    runbook_id: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[str] = mapped_column(String(16))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
