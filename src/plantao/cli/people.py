"""``plantao users``, ``plantao teams``, ``plantao tokens`` and ``plantao login``: people and
their credentials from the shell (what an operator does before the web UI has an admin)."""

from __future__ import annotations

import getpass
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth import passwords
from plantao.auth import service as auth_service
from plantao.config import get_settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.errors import DomainError
from plantao.people import directory, teams
from plantao.people.actor import AuditActor

users_app = typer.Typer(no_args_is_help=True, help="Users and service accounts.")
teams_app = typer.Typer(no_args_is_help=True, help="Teams and their members' roles.")
tokens_app = typer.Typer(no_args_is_help=True, help="API tokens of users and service accounts.")
login_app = typer.Typer(no_args_is_help=True, help="How people log in to the web UI.")

_DURATION = re.compile(r"^(\d+)([hdw])$")


def _actor() -> AuditActor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return AuditActor(handle=f"cli:{who}", via="cli")


@contextmanager
def _session() -> Iterator[Session]:
    factory = make_sessionmaker(make_engine(get_settings().database_url, pool_size=1))
    try:
        with session_scope(factory) as session:
            yield session
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None


@users_app.command("list")
def users_list() -> None:
    """Every user and service account with their roles."""
    with _session() as session:
        for user in directory.list_users(session):
            roles = ",".join(f"{t.slug}:{r}" for t, r in teams.teams_of(session, user.id))
            state = "disabled" if user.disabled_at else "active"
            typer.echo(f"{user.handle}\t{user.kind}\t{user.global_role}\t{roles or '-'}\t{state}")


@users_app.command("create")
def users_create(
    handle: str,
    name: Annotated[str, typer.Option(help="display name")],
    email: Annotated[str | None, typer.Option()] = None,
    role: Annotated[str, typer.Option(help="global role: none, viewer ... admin")] = "viewer",
    time_zone: Annotated[str, typer.Option()] = "UTC",
    language: Annotated[str, typer.Option(help="en or pt-BR")] = "en",
    password: Annotated[
        bool, typer.Option(help="generate a password and print it on the last line")
    ] = False,
) -> None:
    """Create a person (use plantao.yaml for the ones you declare as code)."""
    with _session() as session:
        user = directory.create(
            session,
            handle=handle,
            name=name,
            email=email,
            global_role=role,
            time_zone=time_zone,
            language=language,
            actor=_actor(),
        )
        clear = secrets.token_urlsafe(15) if password else None
        if clear is not None:
            passwords.set_password(session, user, clear, actor=_actor())
    typer.echo(f"created user {handle} ({role})", err=True)
    if clear is not None:
        typer.echo(clear)


@users_app.command("set-password")
def users_set_password(
    handle: str,
    generate: Annotated[bool, typer.Option(help="generate one and print it")] = False,
) -> None:
    """Set a user's local password (asked twice, or generated and printed once)."""
    clear = secrets.token_urlsafe(15) if generate else None
    if clear is None:
        clear = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _session() as session:
        passwords.set_password(session, directory.get(session, handle), clear, actor=_actor())
    typer.echo(f"password of {handle} set", err=True)
    if generate:
        typer.echo(clear)


@users_app.command("disable")
def users_disable(handle: str) -> None:
    """Refuse the user's logins and tokens and end their sessions (history keeps their name)."""
    with _session() as session:
        user = directory.get(session, handle)
        directory.set_disabled(session, user, True, actor=_actor())
        auth_service.end_user_sessions(session, user.id)
    typer.echo(f"user {handle} disabled")


@users_app.command("enable")
def users_enable(handle: str) -> None:
    with _session() as session:
        directory.set_disabled(session, directory.get(session, handle), False, actor=_actor())
    typer.echo(f"user {handle} enabled")


@users_app.command("set-role")
def users_set_role(handle: str, role: str) -> None:
    """Set the user's global role (none, viewer, responder, manager, admin)."""
    with _session() as session:
        directory.change(
            session, directory.get(session, handle), {"global_role": role}, actor=_actor()
        )
    typer.echo(f"{handle} is now {role} on every team")


@teams_app.command("list")
def teams_list() -> None:
    with _session() as session:
        for team in teams.list_teams(session):
            members = ", ".join(f"{u.handle}:{r}" for u, r in teams.members(session, team.id))
            typer.echo(f"{team.slug}\t{team.name}\t{members or '-'}")


@teams_app.command("grant")
def teams_grant(
    team: str,
    handle: str,
    role: Annotated[str, typer.Argument(help="viewer, responder, manager, admin or none")],
) -> None:
    """Give a user a role on a team (``none`` removes them)."""
    with _session() as session:
        teams.set_role(
            session,
            teams.get(session, team),
            directory.get(session, handle),
            None if role == "none" else role,
            actor=_actor(),
        )
    typer.echo(f"{handle} on {team}: {role}")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="what the token is for")],
    user: Annotated[
        str | None, typer.Option(help="the owner; without it, a service account called NAME")
    ] = None,
    role: Annotated[
        str, typer.Option(help="the service account's role: admin, manager, responder, viewer")
    ] = "responder",
    scopes: Annotated[
        str | None, typer.Option(help="comma-separated: read, respond, admin, gate, intake")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="lifetime such as 12h, 30d or 8w")] = None,
) -> None:
    """Create a token; the token alone is printed on the last line (shown only once)."""
    expires_at = None
    if expires is not None:
        match = _DURATION.match(expires)
        if match is None:
            typer.echo("error: --expires takes a number and h, d or w (e.g. 30d)", err=True)
            raise typer.Exit(2)
        unit = {"h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        expires_at = clock.now() + timedelta(**{unit: int(match.group(1))})
    with _session() as session:
        if user is None and scopes is None and expires_at is None:
            row, clear = auth_service.create_service_token(
                session, name=name, role=role, actor=_actor()
            )
        else:
            owner = (
                directory.get(session, user)
                if user is not None
                else auth_service.service_account(session, name=name, role=role, actor=_actor())
            )
            wanted = (scopes or "read").split(",")
            row, clear = auth_service.create_token(
                session, user=owner, name=name, scopes=wanted, expires_at=expires_at, actor=_actor()
            )
        typer.echo(f"created token #{row.id} '{row.name}' with scopes {row.scopes}", err=True)
    typer.echo(clear)


@tokens_app.command("list")
def tokens_list() -> None:
    """List tokens (never their secret)."""
    with _session() as session:
        handles = {u.id: u.handle for u in directory.list_users(session)}
        for t in auth_service.list_tokens(session):
            state = "revoked" if t.revoked_at else "active"
            owner = handles.get(t.user_id, "?")
            typer.echo(f"#{t.id}\t{t.name}\t{owner}\t{t.scopes}\t{t.prefix}…\t{state}")


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by its number."""
    with _session() as session:
        auth_service.revoke_token(session, token_id, actor=_actor())
    typer.echo(f"token #{token_id} revoked")


@login_app.command("password")
def login_password(state: Annotated[str, typer.Argument(help="on or off")]) -> None:
    """Turn local password login on or off for everyone (off once single sign-on works)."""
    if state not in ("on", "off"):
        typer.echo("error: use on or off", err=True)
        raise typer.Exit(2)
    with _session() as session:
        passwords.set_password_login(session, state == "on", actor=_actor())
    typer.echo(f"password login {state}")
