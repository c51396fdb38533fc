"""People and teams in the browser. Every signed-in person reads the directory (who to add to
an incident, who owns a team); admins create users, set global roles, disable and enable
accounts; a team's admins (and global admins) set its members' roles. Each change goes through
the same use cases as the API and the CLI, so it is validated once and audited."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.auth import passwords
from plantao.auth import service as auth_service
from plantao.auth.principal import Principal
from plantao.auth.roles import Need, Role
from plantao.errors import DomainError, PermissionDenied, ValidationFailed
from plantao.people import directory, teams
from plantao.people.models import ROLES, Team
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)

HandlePath = Annotated[str, Path(max_length=64)]
SlugPath = Annotated[str, Path(max_length=64)]
NEW_USER_FIELDS = ("handle", "name", "email", "time_zone", "language", "global_role", "kind")


def _new_user(**values: str) -> dict[str, str]:
    blank = {"time_zone": "UTC", "language": "en", "global_role": "viewer", "kind": "user"}
    return {k: values.get(k) or blank.get(k, "") for k in NEW_USER_FIELDS}


def _users_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    people = directory.list_users(session)
    return admin_common.page(
        request,
        "admin/users.html",
        principal,
        status_code=status_code,
        people=people,
        memberships={u.id: teams.teams_of(session, u.id) for u in people},
        global_roles=directory.GLOBAL_ROLES,
        languages=directory.LANGUAGES,
        form=form or _new_user(),
        error=error,
        notice=request.query_params.get("done"),
    )


@router.get("/users", response_class=HTMLResponse, response_model=None)
def users_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    return _users_page(request, session, principal)


@router.post("/users", response_class=HTMLResponse, response_model=None)
def create_user_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    handle: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "UTC",
    language: Annotated[str, Form(max_length=8)] = "en",
    global_role: Annotated[str, Form(max_length=16)] = "viewer",
    kind: Annotated[str, Form(max_length=8)] = "user",
    generate_password: Annotated[bool, Form()] = False,
) -> Response:
    """Create a user (optionally with a generated password, shown once); errors keep the form."""
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    form = _new_user(
        handle=handle.strip(),
        name=name,
        email=email.strip(),
        time_zone=time_zone.strip(),
        language=language,
        global_role=global_role,
        kind=kind,
    )
    clear = None
    try:
        user = directory.create(
            session,
            handle=form["handle"],
            name=form["name"],
            email=form["email"] or None,
            time_zone=form["time_zone"],
            language=form["language"],
            global_role=form["global_role"],
            kind=form["kind"],
            actor=who.audit_actor,
        )
        if generate_password and user.kind == "user":
            clear = secrets.token_urlsafe(15)
            passwords.set_password(session, user, clear, actor=who.audit_actor)
    except DomainError as exc:
        session.rollback()
        return _users_page(
            request, session, who, form=form, error=exc.detail, status_code=exc.status
        )
    session.commit()
    if clear is None:
        return RedirectResponse(f"/users?done={user.handle}#user-{user.handle}", status_code=303)
    return admin_common.no_store(
        admin_common.page(request, "admin/user_created.html", who, user=user, clear=clear)
    )


def _change_user(
    request: Request, session: Session, csrf: str, handle: str, verb: str, value: str = ""
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    try:
        user = directory.get(session, handle)
        if user.id == who.user_id and (verb == "disable" or value not in ("", "admin")):
            raise ValidationFailed("you cannot disable or demote yourself; ask another admin")
        if verb == "role":
            directory.change(session, user, {"global_role": value}, actor=who.audit_actor)
        else:
            directory.set_disabled(session, user, verb == "disable", actor=who.audit_actor)
            if verb == "disable":
                auth_service.end_user_sessions(session, user.id)
    except DomainError as exc:
        session.rollback()
        return _users_page(request, session, who, error=exc.detail, status_code=exc.status)
    session.commit()
    return RedirectResponse(f"/users?done={user.handle}#user-{user.handle}", status_code=303)


@router.post("/users/{handle}/role", response_model=None)
def set_global_role_form(
    handle: HandlePath,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    global_role: Annotated[str, Form(max_length=16)],
) -> Response:
    return _change_user(request, session, csrf, handle, "role", global_role)


@router.post("/users/{handle}/disable", response_model=None)
def disable_user_form(
    handle: HandlePath, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    """Disabling also ends the person's browser sessions (their tokens stop working too)."""
    return _change_user(request, session, csrf, handle, "disable")


@router.post("/users/{handle}/enable", response_model=None)
def enable_user_form(
    handle: HandlePath, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    return _change_user(request, session, csrf, handle, "enable")


def manages(principal: Principal, team: Team) -> bool:
    """Global admins manage every team's members; a team's own admins manage theirs."""
    return principal.is_admin or (
        principal.access.team_roles.get(team.id) is Role.ADMIN
        and principal.can(Need.MANAGE, team.id)
    )


def _teams_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    status_code: int = 200,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    all_teams = teams.list_teams(session)
    return admin_common.page(
        request,
        "admin/teams.html",
        principal,
        status_code=status_code,
        teams=[(t, teams.members(session, t.id), manages(principal, t)) for t in all_teams],
        people=[u for u in directory.list_users(session) if u.disabled_at is None],
        roles=ROLES,
        error=error,
        typed=typed or {},
        notice=request.query_params.get("done"),
    )


@router.get("/teams", response_class=HTMLResponse, response_model=None)
def teams_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    return _teams_page(request, session, principal)


@router.post("/teams/{slug}/members", response_model=None)
def set_member_form(
    slug: SlugPath,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    user: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Add a member, change their role, or remove them (empty role)."""
    who = rendering.writer(request, session, csrf, Need.READ)
    if isinstance(who, Response):
        return who
    try:
        team = teams.get(session, slug)
        if not manages(who, team):
            raise PermissionDenied("this needs the admin role, or admin on this team")
        if not user:
            raise ValidationFailed("user: choose a person")
        person = directory.get(session, user)
        teams.set_role(session, team, person, role or None, actor=who.audit_actor)
    except DomainError as exc:
        if exc.status == 403:
            raise
        session.rollback()
        return _teams_page(
            request,
            session,
            who,
            error=exc.detail,
            status_code=exc.status,
            typed={"team": slug, "user": user, "role": role},
        )
    session.commit()
    return RedirectResponse(f"/teams?done={team.slug}#team-{team.slug}", status_code=303)
