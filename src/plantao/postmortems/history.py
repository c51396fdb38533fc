"""A postmortem's changes on its incident's timeline: the timeline is the incident's audit log
(``plantao.people.audit`` keeps what does not land on one), so who started, submitted,
approved, published or reopened the postmortem is read where the rest of the incident is."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plantao import clock
from plantao.incidents import service as incident_service
from plantao.postmortems.models import Postmortem


def note(
    session: Session, pm: Postmortem, kind: str, actor: str, message: str, **data: Any
) -> None:
    """One timeline entry ``postmortem.<kind>`` on the postmortem's incident."""
    item = incident_service.TimelineItem(
        f"postmortem.{kind}", actor, message, {"postmortem": pm.id, **data}
    )
    incident_service.append(session, pm.incident_id, [item], at=clock.now())
