"""Browser sessions kept in the database.

The session cookie is signed, but a signature only proves who wrote the cookie, not that the
session still exists: a cookie captured before logout would keep working until it expired.
So the cookie carries a random session id, the database keeps its SHA-256 with the idle and
absolute expiry, and logout (or revoking the token the session was opened with) ends it for
every copy of the cookie at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth import service as auth_service
from plantao.auth.models import WebSession
from plantao.auth.service import Principal
from plantao.config import Settings
from plantao.errors import Unauthenticated

# Writing last_seen_at on every page view would turn reads into writes; a minute is precise
# enough for an idle timeout counted in hours.
_TOUCH_EVERY = timedelta(seconds=60)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(
    session: Session, settings: Settings, *, token_id: int, user_agent: str | None
) -> str:
    """A new session for a verified token; returns the id for the cookie. Flushes."""
    sid = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        WebSession(
            sid_hash=_digest(sid),
            token_id=token_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            revoked_at=None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    session.flush()
    return sid


def principal_for(session: Session, settings: Settings, sid: str) -> Principal:
    """Who holds this session, or Unauthenticated when it is unknown, ended, idle or expired."""
    row = session.scalars(
        select(WebSession).where(WebSession.sid_hash == _digest(sid))
    ).one_or_none()
    now = clock.now()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the session ended; log in again")
    if now >= row.expires_at:
        raise Unauthenticated("the session expired; log in again")
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        raise Unauthenticated("the session was idle too long; log in again")
    if now - row.last_seen_at > _TOUCH_EVERY:
        session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
    return auth_service.principal_for_token_id(session, row.token_id)


def end_session(session: Session, sid: str) -> None:
    """Logout: the session stops working for every copy of its cookie. Flushes."""
    session.execute(
        update(WebSession)
        .where(WebSession.sid_hash == _digest(sid), WebSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


def end_sessions_of_token(session: Session, token_id: int) -> int:
    """Logout everywhere for one token (also done when the token is revoked). Flushes."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.token_id == token_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)
