"""The incident page's Postmortem card: whether one was started, its state and due date, and
the button that starts or opens it (``templates/incident/postmortem.html``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.incidents.models import Incident
from plantao.postmortems import obligations, reading, records
from plantao.web.postmortem_view import when


def card(session: Session, principal: Principal, incident: Incident) -> dict[str, Any]:
    pm = records.for_incident(session, incident.id)
    if pm is None:
        duty = obligations.of(session, incident)
        return {"pmc": {"pm": None, "required": duty.required}}
    return {
        "pmc": {
            "pm": pm,
            "required": pm.required,
            "due": when(principal, pm.due_at),
            "overdue": reading.is_overdue(pm),
        }
    }
