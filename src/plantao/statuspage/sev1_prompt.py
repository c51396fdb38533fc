"""Seed 002: a Sev1 is published on the status page at once. When a Sev1 incident on a
service that feeds a component is open and still unpublished there, its Comms Lead (else its
Incident Commander) gets a short message asking them to publish it.

Called by the engine's reaction step with the incidents whose markers it handles (opened,
acknowledged — which names the IC —, severity raised), so a Sev1 opened before anyone holds a
hat is asked about once someone does. Once per incident: the timeline entry
``status_page.prompted`` records it, and the message's outbox key is per incident, so a
replayed step writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.command import role_holders
from plantao.config import get_settings
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, TimelineEntry
from plantao.notify import person_messages
from plantao.people.models import User
from plantao.statuspage.proposals import PROMPTED, proposals

#: Who is asked, in order: 002 makes the Comms Lead own external communication.
ASKED_ROLES = ("comms_lead", "incident_commander")


def _already(session: Session, ids: list[int]) -> set[int]:
    return set(
        session.scalars(
            select(TimelineEntry.incident_id).where(
                TimelineEntry.incident_id.in_(ids), TimelineEntry.kind == PROMPTED
            )
        )
    )


def prompt_sev1(session: Session, incidents: Sequence[Incident]) -> int:
    """Ask the Comms Lead (else the IC) of each open, unpublished Sev1 among ``incidents`` to
    publish it; returns how many were asked now."""
    sev1 = [i for i in incidents if i.severity == "sev1" and not i.private]
    if not sev1:
        return 0
    done = _already(session, [i.id for i in sev1])
    hats = role_holders.holders(session, [i.id for i in sev1 if i.id not in done])
    base = get_settings().base_url.rstrip("/")
    asked = 0
    for incident in sev1:
        if incident.id in done:
            continue
        holder = next(
            (h for role in ASKED_ROLES for h in hats.get(incident.id, []) if h.role == role), None
        )
        if holder is None:
            continue  # nobody to ask yet: asked when someone is named
        wanted = [p for p in proposals(session, incident) if p.at_once]
        if not wanted:
            continue
        user = session.get(User, holder.user_id)
        if user is None:
            continue
        link = f"{base}/incidents/{incident.human_id}#status-page"
        text = (
            f"{incident.human_id} is Sev1: publish it on the status page "
            f"({', '.join(p.page_name for p in wanted)}). {link}"
        )
        message = person_messages.PersonMessage(
            subject=f"{incident.human_id} is Sev1: publish it on the status page",
            text=text,
            ref=incident.human_id,
            step="status_page",
            reason=f"{incident.human_id} is Sev1 and not on the status page yet",
            severity=incident.severity,
            # Not on the incident's delivery list: that list is the paging (who was paged,
            # delivered, acknowledged); this is a note to one person, keyed by the incident.
            incident_id=None,
            urgency="high",
        )
        sent = person_messages.send(session, user, message, f"statuspage.sev1:{incident.id}")
        incident_service.append(
            session,
            incident.id,
            [
                incident_service.TimelineItem(
                    PROMPTED,
                    "plantao",
                    f"Asked {holder.handle} to publish it on the status page"
                    + ("" if sent else " (no contact method reached)"),
                    {
                        "user": holder.handle,
                        "role": holder.role,
                        "pages": [p.page_slug for p in wanted],
                    },
                )
            ],
        )
        asked += 1
    return asked
