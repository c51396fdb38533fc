"""A postmortem as a file to keep outside Plantão: its Markdown with a short header of the facts
a reader of the file no longer sees around it (incident, state, version, owner, dates)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.incidents.models import Incident
from plantao.postmortems.models import Postmortem
from plantao.postmortems.reading import owner_handle


def filename(incident: Incident) -> str:
    return f"postmortem-{incident.human_id}.md"


def markdown(session: Session, pm: Postmortem, incident: Incident) -> str:
    """The current text after an HTML comment of its facts (invisible when rendered)."""
    facts = [
        f"incident: {incident.human_id} ({incident.severity})",
        f"status: {pm.status}",
        f"version: {pm.version}",
        f"owner: {owner_handle(session, pm) or '-'}",
        f"due: {pm.due_at.isoformat() if pm.due_at else '-'}",
        f"published: {pm.published_at.isoformat() if pm.published_at else '-'}",
    ]
    header = "<!--\n" + "\n".join(f"  {line}" for line in facts) + "\n-->\n\n"
    text = pm.markdown if pm.markdown.endswith("\n") else pm.markdown + "\n"
    return header + text
