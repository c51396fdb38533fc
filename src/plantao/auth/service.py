"""Issuing and checking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.models import ApiToken, WebSession
from plantao.auth.roles import Role
from plantao.errors import NotFound, Unauthenticated, ValidationFailed

TOKEN_PREFIX = "plt_"  # noqa: S105 - a public prefix, not a secret


@dataclass(frozen=True)
class Principal:
    """Who is calling: used for permission checks and as the actor on timeline entries."""

    token_id: int | None
    name: str
    role: Role

    @property
    def actor(self) -> str:
        return self.name


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, name: str, role: str) -> tuple[ApiToken, str]:
    """Return the row and the clear token; the clear token is never stored or shown again."""
    name = name.strip()
    if not name:
        raise ValidationFailed("a token needs a name")
    try:
        parsed = Role(role)
    except ValueError:
        raise ValidationFailed(f"unknown role '{role}'; use admin, responder or viewer") from None
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        role=parsed.value,
        prefix=clear[: len(TOKEN_PREFIX) + 6],
        token_hash=_digest(clear),
        created_at=clock.now(),
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row, clear


def authenticate(session: Session, token: str) -> Principal:
    if not token:
        raise Unauthenticated("missing bearer token")
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == _digest(token))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("unknown or revoked token")
    now = clock.now()
    # Writing last_used_at on every request would turn reads into writes; once a minute is plenty.
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return Principal(token_id=row.id, name=f"token:{row.name}", role=Role(row.role))


def principal_for_token_id(session: Session, token_id: int) -> Principal:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("session expired: the token was revoked")
    return Principal(token_id=row.id, name=f"token:{row.name}", role=Role(row.role))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        # Browser sessions opened with the token end with it.
        session.execute(
            update(WebSession)
            .where(WebSession.token_id == row.id, WebSession.revoked_at.is_(None))
            .values(revoked_at=row.revoked_at)
        )
    session.flush()
    return row
