"""Template overrides: an operator's own wording of a shipped template, per language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class TemplateOverride(Base):
    """Replaces the shipped template ``name`` in ``language`` until deleted; it is rendered in
    the same sandbox (StrictUndefined) and refused at save time if it does not render."""

    __tablename__ = "comms_template_overrides"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    subject: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
