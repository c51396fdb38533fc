"""Browser sessions kept in the database.

The session cookie is signed, but a signature only proves who wrote the cookie, not that the
session still exists: a cookie captured before logout would keep working until it expired.
So the cookie carries a random session id, the database keeps its SHA-256 with the idle and
absolute expiry, and logout (or "log out everywhere", or disabling the user) ends it for every
copy of the cookie at once. The id rotates every few minutes so a copied cookie goes stale.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth import service as auth_service
from plantao.auth.models import WebSession
from plantao.auth.principal import Principal
from plantao.config import Settings
from plantao.errors import Unauthenticated
from plantao.people.models import User

# Writing last_seen_at on every page view would turn reads into writes; a minute is precise
# enough for an idle timeout counted in hours.
_TOUCH_EVERY = timedelta(seconds=60)
ROTATE_EVERY = timedelta(minutes=15)
# A request sent with the previous id just before rotation (another tab, the live stream) is
# still honoured for this long.
ROTATION_GRACE = timedelta(seconds=60)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


@dataclass(frozen=True)
class SessionState:
    principal: Principal
    new_sid: str | None  # set when the id rotated: the caller must send it in a new cookie


def open_session(
    session: Session,
    settings: Settings,
    *,
    user_id: int,
    method: str,
    user_agent: str | None,
    source: str | None = None,
) -> str:
    """A new session for a verified user; returns the id for the cookie. Flushes."""
    sid = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        WebSession(
            sid_hash=_digest(sid),
            user_id=user_id,
            method=method[:16],
            created_at=now,
            rotated_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_max_hours),
            revoked_at=None,
            user_agent=(user_agent or "")[:200] or None,
            source=(source or "")[:64] or None,
        )
    )
    session.flush()
    return sid


def _row_for(session: Session, sid: str) -> WebSession | None:
    digest = _digest(sid)
    rows = session.scalars(
        select(WebSession).where(
            or_(WebSession.sid_hash == digest, WebSession.previous_sid_hash == digest)
        )
    ).all()
    now = clock.now()
    for row in rows:
        if row.sid_hash == digest:
            return row
        if row.rotated_at is not None and now - row.rotated_at <= ROTATION_GRACE:
            return row
    return None


def resume(session: Session, settings: Settings, sid: str, *, rotate: bool = True) -> SessionState:
    """Who holds this session, or Unauthenticated when it is unknown, ended, idle or expired.

    With ``rotate``, an id older than ``ROTATE_EVERY`` is replaced (the old one keeps working
    for ``ROTATION_GRACE``); the caller commits and sets the new cookie.
    """
    row = _row_for(session, sid)
    now = clock.now()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("the session ended; log in again")
    if now >= row.expires_at:
        raise Unauthenticated("the session expired; log in again")
    if now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        raise Unauthenticated("the session was idle too long; log in again")
    user = session.get(User, row.user_id)
    if user is None:
        raise Unauthenticated("the session ended; log in again")
    principal = auth_service.principal_of(session, user, via="session")
    new_sid = None
    current = row.sid_hash == _digest(sid)
    if rotate and current and (row.rotated_at is None or now - row.rotated_at >= ROTATE_EVERY):
        new_sid = secrets.token_urlsafe(32)
        row.previous_sid_hash = row.sid_hash
        row.sid_hash = _digest(new_sid)
        row.rotated_at = now
        row.last_seen_at = now
        session.flush()
    elif now - row.last_seen_at > _TOUCH_EVERY:
        session.execute(update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
    return SessionState(principal=principal, new_sid=new_sid)


def principal_for(session: Session, settings: Settings, sid: str) -> Principal:
    """Who holds this session, without rotating it (streams and background checks)."""
    return resume(session, settings, sid, rotate=False).principal


def end_session(session: Session, sid: str) -> None:
    """Logout: the session stops working for every copy of its cookie. Flushes."""
    digest = _digest(sid)
    session.execute(
        update(WebSession)
        .where(
            or_(WebSession.sid_hash == digest, WebSession.previous_sid_hash == digest),
            WebSession.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
    )


def user_of_session(session: Session, sid: str) -> int | None:
    row = _row_for(session, sid)
    return None if row is None else row.user_id
