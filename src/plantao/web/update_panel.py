"""The data of the incident page's status updates card (``templates/incident/updates.html``):
when the next update is due and whether it is late, the severity's cadence, and the updates
posted so far. Added to the page's context by ``incident_pages.page_context``; the card's form
is :mod:`plantao.web.update_forms`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.command import cadence, updates
from plantao.command.models import UPDATE_STATUSES, StatusUpdate
from plantao.incidents import severity_config
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident

#: Next-step rows the form offers (post again for more).
STEP_ROWS = 3
HISTORY_SHOWN = 20


def _every(minutes: int | None) -> str | None:
    if minutes is None:
        return None
    return f"{minutes // 60} h" if minutes >= 60 and minutes % 60 == 0 else f"{minutes} min"


def _when(raw: object) -> datetime | None:
    try:
        return datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _shown(update: StatusUpdate) -> dict[str, Any]:
    resolution = dict(update.resolution or {})
    if resolution:
        resolution["postmortem_at"] = _when(resolution.get("postmortem_at"))
    return {
        "u": update,
        "steps": [s | {"eta": _when(s.get("eta"))} for s in update.next_steps],
        "resolution": resolution or None,
    }


def panel(session: Session, principal: Principal, incident: Incident) -> dict[str, Any]:
    """The card's data, under ``upd`` in the page's context."""
    due = cadence.dues(session, [incident.id]).get(incident.id)
    level = severity_config.severity_matrix(session).level(incident.severity)
    every = cadence.interval(severity_config.severity_matrix(session), incident.severity)
    posted = updates.history(session, incident.id)
    return {
        "upd": {
            "due": due,
            "ended": incident.status in (Status.RESOLVED, Status.CLOSED),
            "every": _every(None if every is None else int(every.total_seconds() // 60)),
            "priority": level.priority,
            "history": [_shown(u) for u in posted[:HISTORY_SHOWN]],
            "total": len(posted),
            "statuses": UPDATE_STATUSES,
            "rows": range(1, STEP_ROWS + 1),
            "zone": principal.time_zone,
        }
    }
