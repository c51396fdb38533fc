"""Marking an incident private or public after it opened, and keeping the people already on it.

Making an incident private must not lock out the people working it: the person who does it
becomes a responder (they asked for it, and keep access), and so do the people the caller
names in ``keep`` (those already paged for it: on-call sits above this package, so the entry
point reads them). Anyone paged later for a private incident is admitted the same way when the
page is written (:func:`admit_paged`, called by ``notify.paging``). Role holders are
responders already (the roles code adds them).

The change is one ``incident.visibility`` timeline entry, so the timeline says who hid it
and when. Making it public again removes nobody.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.incidents import access
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, IncidentResponder
from plantao.people.models import User

KIND = "incident.visibility"
#: ``incident_responders.via`` of someone admitted because they were paged.
VIA_PAGE = "page"
SYSTEM_ACTOR = "plantao"


def admit_paged(session: Session, incident: Incident, user_id: int) -> bool:
    """A person paged for a private incident may see it: a ``paged`` responder row unless they
    are one already. Public incidents are left alone (True when a row was written)."""
    if not incident.private or access.is_added_responder(session, incident.id, user_id):
        return False
    now = clock.now()
    session.add(
        IncidentResponder(
            incident_id=incident.id,
            user_id=user_id,
            added_by=SYSTEM_ACTOR,
            added_at=now,
            state="paged",
            via=VIA_PAGE,
            paged_at=now,
        )
    )
    session.flush()
    return True


def set_private(
    session: Session,
    incident: Incident,
    private: bool,
    *,
    actor: User,
    keep: Sequence[int] = (),
) -> bool:
    """Make the (locked) incident private or public; False when it already was. Flushes.

    ``keep``: ids of people already paged for it, who stay able to see it."""
    if incident.private == private:
        return False
    incident.private = private
    session.flush()
    kept: list[str] = []
    if private:
        access.add_responder(session, incident, actor, actor=actor.handle)
        wanted = sorted(set(keep) - {actor.id})
        people = session.scalars(select(User).where(User.id.in_(wanted))).all() if wanted else []
        for person in sorted(people, key=lambda u: u.handle):
            if admit_paged(session, incident, person.id):
                kept.append(person.handle)
    if private:
        message = f"{actor.handle} made the incident private: only its responders and admins see it"
    else:
        message = f"{actor.handle} made the incident public: everyone with access sees it"
    item = incident_service.TimelineItem(
        KIND, actor.handle, message, {"private": private, "kept": kept}
    )
    incident_service.append(session, incident.id, [item], at=clock.now())
    session.flush()
    return True
