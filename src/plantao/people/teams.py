"""Teams and their members' roles (viewer / responder / manager / admin per team)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.errors import NotFound, ValidationFailed
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor
from plantao.people.models import ROLES, Team, TeamMembership, User


def list_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.slug)))


def get(session: Session, slug: str) -> Team:
    team = session.scalars(select(Team).where(Team.slug == slug)).one_or_none()
    if team is None:
        raise NotFound(f"team '{slug}' does not exist")
    return team


def members(session: Session, team_id: int) -> list[tuple[User, str]]:
    rows = session.execute(
        select(User, TeamMembership.role)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == team_id)
        .order_by(User.handle)
    ).all()
    return [(u, r) for u, r in rows]


def teams_of(session: Session, user_id: int) -> list[tuple[Team, str]]:
    rows = session.execute(
        select(Team, TeamMembership.role)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == user_id)
        .order_by(Team.slug)
    ).all()
    return [(t, r) for t, r in rows]


def teams_of_everyone(session: Session) -> dict[int, list[tuple[Team, str]]]:
    """Every user's teams and roles in one query (listing people must not ask per person)."""
    rows = session.execute(
        select(TeamMembership.user_id, Team, TeamMembership.role)
        .join(Team, Team.id == TeamMembership.team_id)
        .order_by(Team.slug)
    ).all()
    found: dict[int, list[tuple[Team, str]]] = {}
    for user_id, team, role in rows:
        found.setdefault(user_id, []).append((team, role))
    return found


def set_role(
    session: Session, team: Team, user: User, role: str | None, *, actor: AuditActor = SYSTEM
) -> bool:
    """Give ``user`` ``role`` on ``team`` (None removes them). True when something changed."""
    if role is not None and role not in ROLES:
        raise ValidationFailed(f"role: use one of {', '.join(ROLES)}")
    row = session.get(TeamMembership, (team.id, user.id))
    before = None if row is None else row.role
    if before == role:
        return False
    if role is None and row is not None:
        session.delete(row)
    elif row is None:
        session.add(TeamMembership(team_id=team.id, user_id=user.id, role=role))
    else:
        row.role = role or row.role
    session.flush()
    audit.record(
        session,
        actor,
        "team.member",
        "team",
        team.slug,
        before={"user": user.handle, "role": before},
        after={"user": user.handle, "role": role},
    )
    return True
