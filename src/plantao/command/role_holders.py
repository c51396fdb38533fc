"""Who wears which hat on some incidents, read in one query: what the incident page, the API,
the cadence reminders (the Comms Lead, else the IC) and the checklists all need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.command.models import IncidentRole
from plantao.people.models import User


@dataclass(frozen=True)
class Holder:
    role: str
    user_id: int
    handle: str
    name: str
    assigned_at: datetime | None = None


def holders(session: Session, incident_ids: Sequence[int]) -> dict[int, list[Holder]]:
    """Each incident's role holders, in the order the roles were assigned."""
    out: dict[int, list[Holder]] = {i: [] for i in incident_ids}
    if not incident_ids:
        return out
    rows = session.execute(
        select(
            IncidentRole.incident_id,
            IncidentRole.role,
            User.id,
            User.handle,
            User.name,
            IncidentRole.assigned_at,
        )
        .join(User, User.id == IncidentRole.user_id)
        .where(IncidentRole.incident_id.in_(sorted(set(incident_ids))))
        .order_by(IncidentRole.id)
    ).tuples()
    for incident_id, role, user_id, handle, name, assigned_at in rows:
        out.setdefault(incident_id, []).append(Holder(role, user_id, handle, name, assigned_at))
    return out


def holder_of(session: Session, incident_id: int, role: str) -> Holder | None:
    """The person wearing ``role`` (the first SME for ``sme``), or None."""
    return next((h for h in holders(session, [incident_id])[incident_id] if h.role == role), None)
