"""What a new postmortem sets in motion, however it was started (the engine, the API, the web,
the CLI): its owner's due-date reminders, and — when it has a due date — the close checklist's
"postmortem scheduled" item, ticked with that date so closing the incident does not ask for it
again."""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.command import checklists
from plantao.incidents.models import Incident
from plantao.postmortems import business_days, calendars, reminding
from plantao.postmortems.models import Postmortem

ACTOR = "plantao"
CHECKLIST, ITEM = "close", "postmortem_scheduled"


def scheduled(session: Session, incident: Incident, pm: Postmortem) -> None:
    """Arm ``pm``'s reminders and tick the close checklist with its due date (in the team's
    calendar's time zone); a tick a person already gave is kept."""
    reminding.arm_postmortem(session, pm)
    if pm.due_at is None:
        return
    if ITEM in checklists.ticks(session, incident.id).get(CHECKLIST, {}):
        return
    calendar = calendars.for_incident(session, incident)
    day = pm.due_at.astimezone(business_days.zone(calendar.time_zone)).date()
    checklists.tick(
        session, incident, CHECKLIST, ITEM, done=True, value=day.isoformat(), actor=ACTOR
    )
