"""The postmortem draft written from what Plantão knows about the incident (seed 002's
template). FOUNDATION PLACEHOLDER: the draft generator replaces this body."""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.incidents.models import Incident


def draft(session: Session, incident: Incident, language: str) -> str:
    """The draft's Markdown for ``incident`` in ``language`` (``en`` or ``pt-BR``)."""
    return f"# Postmortem — {incident.human_id} ({incident.severity})\n"
