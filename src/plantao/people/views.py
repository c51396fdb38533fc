"""Users, service accounts, teams and the audit log over the API. Reading people is open to
every signed-in caller (responders need to find who to add); changes need the admin role, or a
team's admin for its own members. The audit log is for admins only: it names who did what from
where."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.deps import Admin, Anyone, SessionDep, Viewer, get_factory
from plantao.api.errors import problem_responses
from plantao.auth import service as auth_service
from plantao.auth.roles import WRITING, Need
from plantao.people import audit_query, directory, teams
from plantao.people.audit_query import AuditFilter
from plantao.people.models import AuditEntry, Team, User

router = APIRouter(tags=["people"], responses=problem_responses())

RoleName = Literal["viewer", "responder", "manager", "admin"]
GlobalRoleName = Literal["none", "viewer", "responder", "manager", "admin"]
Handle = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")


class TeamRoleOut(BaseModel):
    team: str
    role: str


class UserOut(BaseModel):
    handle: str
    name: str
    email: str | None
    time_zone: str
    language: str
    kind: str
    global_role: str
    disabled: bool
    sso: bool
    teams: list[TeamRoleOut] = []


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handle: str = Handle
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    time_zone: str = Field(default="UTC", max_length=64)
    language: Literal["en", "pt-BR"] = "en"
    global_role: GlobalRoleName = "viewer"
    kind: Literal["user", "service"] = "user"


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    time_zone: str | None = Field(default=None, max_length=64)
    language: Literal["en", "pt-BR"] | None = None
    global_role: GlobalRoleName | None = None
    disabled: bool | None = None


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: RoleName | None = Field(description="null removes the member")


class MemberOut(BaseModel):
    handle: str
    name: str
    role: str


class TeamOut(BaseModel):
    slug: str
    name: str
    members: list[MemberOut]


class LoggedOut(BaseModel):
    sessions_ended: int


def _user_out(
    session: SessionDep, user: User, memberships: list[tuple[Team, str]] | None = None
) -> UserOut:
    if memberships is None:
        memberships = teams.teams_of(session, user.id)
    return UserOut(
        **directory.snapshot(user),
        teams=[TeamRoleOut(team=t.slug, role=r) for t, r in memberships],
    )


@router.get("/api/v1/me", response_model=UserOut)
def me(session: SessionDep, who: Anyone) -> UserOut:
    """Who the token belongs to, with their roles."""
    return _user_out(session, directory.get(session, who.handle))


@router.post("/api/v1/me/logout-everywhere", response_model=LoggedOut)
def logout_everywhere(session: SessionDep, who: Anyone) -> LoggedOut:
    """End every browser session of the caller (tokens stay; revoke those separately)."""
    who.access.require_scope(WRITING, "ending sessions")
    ended = auth_service.end_user_sessions(session, who.user_id)
    session.commit()
    return LoggedOut(sessions_ended=ended)


@router.get("/api/v1/users", response_model=list[UserOut])
def list_users(session: SessionDep, _who: Viewer) -> list[UserOut]:
    everyone = teams.teams_of_everyone(session)
    return [_user_out(session, u, everyone.get(u.id, [])) for u in directory.list_users(session)]


@router.get("/api/v1/users/{handle}", response_model=UserOut)
def get_user(handle: str, session: SessionDep, _who: Viewer) -> UserOut:
    return _user_out(session, directory.get(session, handle))


@router.post("/api/v1/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, session: SessionDep, who: Admin) -> UserOut:
    user = directory.create(session, **body.model_dump(), actor=who.audit_actor)
    session.commit()
    return _user_out(session, user)


@router.patch("/api/v1/users/{handle}", response_model=UserOut)
def change_user(handle: str, body: UserPatch, session: SessionDep, who: Admin) -> UserOut:
    """Change a user; ``disabled: true`` also ends their sessions."""
    user = directory.get(session, handle)
    changes = body.model_dump(exclude_unset=True)
    disabled = changes.pop("disabled", None)
    if changes:
        directory.change(session, user, changes, actor=who.audit_actor)
    if disabled is not None:
        directory.set_disabled(session, user, disabled, actor=who.audit_actor)
        if disabled:
            auth_service.end_user_sessions(session, user.id)
    session.commit()
    return _user_out(session, user)


def _team_out(session: SessionDep, slug: str) -> TeamOut:
    team = teams.get(session, slug)
    return TeamOut(
        slug=team.slug,
        name=team.name,
        members=[
            MemberOut(handle=u.handle, name=u.name, role=r)
            for u, r in teams.members(session, team.id)
        ],
    )


@router.get("/api/v1/teams", response_model=list[TeamOut])
def list_teams(session: SessionDep, _who: Viewer) -> list[TeamOut]:
    return [_team_out(session, t.slug) for t in teams.list_teams(session)]


@router.get("/api/v1/teams/{slug}", response_model=TeamOut)
def get_team(slug: str, session: SessionDep, _who: Viewer) -> TeamOut:
    return _team_out(session, slug)


@router.put("/api/v1/teams/{slug}/members/{handle}", response_model=TeamOut)
def set_member(slug: str, handle: str, body: MemberIn, session: SessionDep, who: Anyone) -> TeamOut:
    """Add, change or remove (role null) a member: the team's admins, or a global admin."""
    team = teams.get(session, slug)
    if not _team_admin(who, team.id):
        who.require(Need.ADMIN)
    teams.set_role(session, team, directory.get(session, handle), body.role, actor=who.audit_actor)
    session.commit()
    return _team_out(session, slug)


def _team_admin(who: Anyone, team_id: int) -> bool:
    role = who.access.team_roles.get(team_id)
    return role is not None and role.value == "admin" and who.can(Need.MANAGE, team_id)


# Printable text only: a control character (NUL above all) cannot be stored or compared by
# PostgreSQL and has no place in a handle, an action or an object id.
_TEXT = r"^[^\x00-\x1f\x7f]*$"


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="The handle of who acted (cli:<os user> from the CLI).")
    actor_user_id: int | None
    via: str = Field(description="session, token, cli, config or engine")
    source: str | None = Field(description="The client's address, when there was one.")
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next (older) page.")


def _audit_filter(
    actor: Annotated[str | None, Query(max_length=200, pattern=_TEXT)] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, pattern=_TEXT, description="a prefix: token matches token.create"),
    ] = None,
    object_type: Annotated[str | None, Query(max_length=32, pattern=_TEXT)] = None,
    object_id: Annotated[str | None, Query(max_length=200, pattern=_TEXT)] = None,
    since: Annotated[
        datetime | None, Query(description="inclusive; without an offset, UTC")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="exclusive; without an offset, UTC")
    ] = None,
) -> AuditFilter:
    return AuditFilter(
        actor=actor or None,
        action=action or None,
        object_type=object_type or None,
        object_id=object_id or None,
        since=audit_query.aware(since),
        until=audit_query.aware(until),
    )


AuditFilterDep = Annotated[AuditFilter, Depends(_audit_filter)]


def _entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(audit_query.as_dict(entry))


@router.get("/api/v1/audit", response_model=AuditPageOut, tags=["audit"])
def list_audit(
    session: SessionDep,
    _admin: Admin,
    filt: AuditFilterDep,
    cursor: Annotated[str | None, Query(max_length=12, pattern=r"^[0-9]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=audit_query.MAX_PAGE)] = 100,
) -> AuditPageOut:
    """The audit log, newest first, one page at a time (keyset: follow ``next_cursor``)."""
    found = audit_query.page(session, filt, cursor=cursor, limit=limit)
    return AuditPageOut(items=[_entry_out(e) for e in found.items], next_cursor=found.next_cursor)


_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every matching entry, oldest first: CSV (before/after as JSON text) "
        "or JSON Lines.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@router.get(
    "/api/v1/audit/export",
    tags=["audit"],
    response_class=StreamingResponse,
    responses=_EXPORT_RESPONSES,
)
def export_audit(
    _admin: Admin,
    filt: AuditFilterDep,
    factory: Annotated[sessionmaker[Session], Depends(get_factory)],
    format: Literal["csv", "jsonl"] = "csv",
) -> StreamingResponse:
    """Stream every matching entry (no page size): for auditors and other tools."""
    media_type, lines = audit_query.export(factory, filt, format)
    return StreamingResponse(
        lines,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="plantao-audit.{format}"'},
    )
