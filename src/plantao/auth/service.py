"""Issuing and checking API tokens, and loading who a user is (roles) for permission checks."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.models import ApiToken, WebSession
from plantao.auth.principal import Principal
from plantao.auth.roles import ALL_SCOPES, Access, Role, Scope, parse_scopes
from plantao.errors import NotFound, PermissionDenied, Unauthenticated, ValidationFailed
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor
from plantao.people.models import TeamMembership, User

TOKEN_PREFIX = "plt_"  # noqa: S105 - a public prefix, not a secret
_SCOPES_OF_ROLE = {
    Role.ADMIN: (Scope.ADMIN,),
    Role.MANAGER: (Scope.RESPOND,),
    Role.RESPONDER: (Scope.RESPOND,),
    Role.VIEWER: (Scope.READ,),
}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_of(session: Session, user: User) -> Access:
    rows = session.execute(
        select(TeamMembership.team_id, TeamMembership.role).where(TeamMembership.user_id == user.id)
    ).all()
    global_role = None if user.global_role == "none" else Role(user.global_role)
    return Access(global_role=global_role, team_roles={t: Role(r) for t, r in rows})


def principal_of(
    session: Session,
    user: User,
    *,
    via: str,
    token_id: int | None = None,
    scopes: frozenset[Scope] = ALL_SCOPES,
) -> Principal:
    if user.disabled_at is not None:
        raise Unauthenticated("this account is disabled")
    base = access_of(session, user)
    return Principal(
        user_id=user.id,
        handle=user.handle,
        name=user.name,
        kind=user.kind,
        access=Access(global_role=base.global_role, team_roles=base.team_roles, scopes=scopes),
        token_id=token_id,
        via=via,
        language=user.language or "en",
        time_zone=user.time_zone or "UTC",
    )


def token_out(row: ApiToken) -> dict[str, object]:
    """The token's fields for the audit log (never the hash)."""
    return {
        "id": row.id,
        "name": row.name,
        "user_id": row.user_id,
        "scopes": row.scopes,
        "prefix": row.prefix,
        "expires_at": row.expires_at,
        "revoked_at": row.revoked_at,
    }


def create_token(
    session: Session,
    *,
    user: User,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    actor: AuditActor = SYSTEM,
) -> tuple[ApiToken, str]:
    """Return the row and the clear token; the clear token is never stored or shown again."""
    name = name.strip()
    if not name:
        raise ValidationFailed("a token needs a name")
    try:
        parsed = parse_scopes(scopes)
    except PermissionDenied as exc:
        raise ValidationFailed(str(exc)) from None
    now = clock.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("the expiry must be in the future")
    if user.disabled_at is not None:
        raise ValidationFailed(f"user '{user.handle}' is disabled")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        name=name,
        scopes=",".join(sorted(s.value for s in parsed)),
        prefix=clear[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(clear),
        created_at=now,
        expires_at=expires_at,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "token.create", "token", row.id, after=token_out(row))
    return row, clear


def service_account(session: Session, *, name: str, role: str, actor: AuditActor = SYSTEM) -> User:
    """The service account called ``name`` (created with ``role`` on every team if missing)."""
    try:
        parsed = Role(role)
    except ValueError:
        raise ValidationFailed(
            f"unknown role '{role}'; use admin, manager, responder or viewer"
        ) from None
    handle = "svc-" + (re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-") or "account")
    handle = handle[:64]
    user = session.scalars(select(User).where(User.handle == handle)).one_or_none()
    if user is None:
        user = User(
            handle=handle,
            name=name.strip() or handle,
            kind="service",
            global_role=parsed.value,
            time_zone="UTC",
            language="en",
            created_at=clock.now(),
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor,
            "user.create",
            "user",
            user.handle,
            after={"handle": handle, "kind": "service", "global_role": parsed.value},
        )
    return user


def create_service_token(
    session: Session, *, name: str, role: str, actor: AuditActor = SYSTEM
) -> tuple[ApiToken, str]:
    """A token for a machine: a service account holding ``role`` everywhere, scoped to it."""
    user = service_account(session, name=name, role=role, actor=actor)
    scopes = [s.value for s in _SCOPES_OF_ROLE[Role(user.global_role)]]
    return create_token(session, user=user, name=name, scopes=scopes, actor=actor)


def authenticate(session: Session, token: str) -> Principal:
    if not token:
        raise Unauthenticated("missing bearer token")
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == _digest(token))
    ).one_or_none()
    if found is None:
        raise Unauthenticated("unknown or revoked token")
    row, user = found
    now = clock.now()
    if row.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated("the token has expired")
    # Writing last_used_at on every request would turn reads into writes; once a minute is plenty.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    scopes = frozenset(Scope(s) for s in row.scopes.split(",") if s)
    return principal_of(session, user, via="token", token_id=row.id, scopes=scopes)


def list_tokens(session: Session, *, user_id: int | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return list(session.scalars(query))


def revoke_token(
    session: Session, token_id: int, *, actor: AuditActor = SYSTEM, owner_id: int | None = None
) -> ApiToken:
    """Revoke; with ``owner_id`` only that user's token (a person revoking their own)."""
    row = session.get(ApiToken, token_id)
    if row is None or (owner_id is not None and row.user_id != owner_id):
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        before = token_out(row)
        row.revoked_at = clock.now()
        session.flush()
        audit.record(
            session, actor, "token.revoke", "token", row.id, before=before, after=token_out(row)
        )
    return row


def end_user_sessions(session: Session, user_id: int) -> int:
    """Logout everywhere: every browser session of the user ends at once. Flushes."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
