"""People for tests: users with roles, passwords and personal tokens."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from plantao.auth import passwords
from plantao.auth import service as auth_service
from plantao.people import directory, teams
from plantao.people.models import User

PASSWORD = "correct horse battery staple"
SCOPES_OF = {
    "admin": ["admin"],
    "manager": ["respond"],
    "responder": ["respond"],
    "viewer": ["read"],
}


def make_user(
    session: Session,
    handle: str,
    *,
    global_role: str = "none",
    team_roles: dict[str, str] | None = None,
    password: str | None = PASSWORD,
) -> User:
    """A person with ``global_role`` everywhere and ``team_roles`` ({team slug: role})."""
    user = directory.by_handle(session, handle) or directory.create(
        session, handle=handle, name=handle.title(), global_role=global_role
    )
    for slug, role in (team_roles or {}).items():
        teams.set_role(session, teams.get(session, slug), user, role)
    if password == PASSWORD:
        # argon2id costs ~0.1 s a hash by design; the shared test password is hashed once.
        user.password_hash = _password_hash()
        session.flush()
    elif password is not None:
        passwords.set_password(session, user, password)
    return user


@functools.cache
def _password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


def token_for(session: Session, user: User, scopes: list[str] | None = None) -> str:
    """A personal token of ``user`` (scopes default to what the user's global role suggests)."""
    wanted = scopes or SCOPES_OF.get(user.global_role, ["read"])
    _, clear = auth_service.create_token(session, user=user, name=f"{user.handle}-t", scopes=wanted)
    return clear
