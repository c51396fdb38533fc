"""Who may act on an incident: RBAC by the team that owns its service.

A responder of team A cannot act on team B's incidents unless someone added them to the
incident as a responder (``incident_responders``). Looked up here rather than stored on the
incident, so moving a service to another team moves its incidents' permissions with it.

Every route that names an incident goes through :func:`get_to_read` or :func:`get_to_act`,
which first apply :mod:`plantao.incidents.visibility`: a private incident someone may not see
is "not found", before any role check could answer 403 and confirm it exists.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.auth.roles import RANK, Need
from plantao.catalog.models import Service
from plantao.incidents import service as incident_service
from plantao.incidents import visibility
from plantao.incidents.models import Incident, IncidentResponder
from plantao.people.models import User


def team_of(session: Session, incident: Incident) -> int | None:
    return session.scalar(select(Service.team_id).where(Service.id == incident.service_id))


def is_added_responder(session: Session, incident_id: int, user_id: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    IncidentResponder.incident_id == incident_id,
                    IncidentResponder.user_id == user_id,
                )
            )
        )
    )


def allowed(
    session: Session, who: Principal, incident: Incident, need: Need = Need.RESPOND
) -> bool:
    granted = need is Need.RESPOND and is_added_responder(session, incident.id, who.user_id)
    return who.can(need, team_of(session, incident), granted=granted)


def require(
    session: Session, who: Principal, incident: Incident, need: Need = Need.RESPOND
) -> None:
    granted = need is Need.RESPOND and is_added_responder(session, incident.id, who.user_id)
    who.require(need, team_of(session, incident), granted=granted)


def may_see(session: Session, who: Principal, incident: Incident) -> bool:
    return visibility.can_see(session, incident, who.user_id, who.is_admin)


def get_to_read(
    session: Session, ref: str | int, who: Principal, *, for_update: bool = False
) -> Incident:
    """The incident, once ``who`` may see it; a private one they may not see is not found, with
    the same error as a reference that matches nothing."""
    incident = incident_service.get(session, ref, for_update=for_update)
    if not may_see(session, who, incident):
        raise visibility.hidden(ref)
    return incident


def get_to_act(session: Session, ref: str, who: Principal, need: Need = Need.RESPOND) -> Incident:
    """The incident locked for update, once ``who`` is known to be allowed to act on it."""
    incident = get_to_read(session, ref, who, for_update=True)
    require(session, who, incident, need)
    return incident


def add_responder(session: Session, incident: Incident, user: User, *, actor: str) -> bool:
    """Add ``user`` to the incident, ``joined`` at once (someone put them on it by hand: a
    role, a form; paging them is ``plantao.command.responders``); False when they already were.
    Flushes."""
    if is_added_responder(session, incident.id, user.id):
        return False
    now = clock.now()
    session.add(
        IncidentResponder(
            incident_id=incident.id,
            user_id=user.id,
            added_by=actor,
            added_at=now,
            state="joined",
            via="user",
            joined_at=now,
        )
    )
    message = f"{actor} added {user.handle} as a responder"
    item = incident_service.TimelineItem("responder.added", actor, message, {"user": user.handle})
    incident_service.append(session, incident.id, [item], at=now)
    session.flush()
    return True


def acknowledge_page(session: Session, incident: Incident, user: User) -> bool:
    """A paged responder answered their page (signed ack link, API, web): ``acknowledged``.
    False when they are no responder or not in the ``paged`` state (already answered). Flushes."""
    row = session.get(IncidentResponder, (incident.id, user.id))
    if row is None or row.state != "paged":
        return False
    now = clock.now()
    row.state, row.acknowledged_at = "acknowledged", now
    message = f"{user.handle} acknowledged the page as a responder"
    item = incident_service.TimelineItem(
        "responder.acknowledged", user.handle, message, {"user": user.handle, "via": row.via}
    )
    incident_service.append(session, incident.id, [item], at=now)
    session.flush()
    return True


def responders(session: Session, incident_id: int) -> list[tuple[IncidentResponder, User]]:
    rows = session.execute(
        select(IncidentResponder, User)
        .join(User, User.id == IncidentResponder.user_id)
        .where(IncidentResponder.incident_id == incident_id)
        .order_by(IncidentResponder.added_at)
    ).all()
    return [(r, u) for r, u in rows]


def roles_on(session: Session, who: Principal, incident: Incident) -> frozenset[str]:
    """The roles ``who`` holds on the incident's team, each lower role included (an admin also
    satisfies a runbook step whose approvers are managers)."""
    best = who.access.role_on(team_of(session, incident))
    if best is None:
        return frozenset()
    return frozenset(r.value for r, rank in RANK.items() if rank <= RANK[best])
