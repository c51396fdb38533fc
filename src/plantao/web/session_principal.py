"""The web session of a live stream: its id, and whether it still holds later on.

A page checks its session once per request (``plantao.web.rendering.current``); a live stream
stays open for hours, so the hub re-checks the sessions of open streams every minute and ends
those that no longer hold (logout, logout everywhere, idle, expired). That re-check applies the
same rules (:func:`plantao.auth.web_sessions.principal_for`) but must not count as activity nor
rotate the id: an unattended tab has to reach its idle timeout like any other.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from plantao.api.deps import SESSION_KEY
from plantao.auth import web_sessions
from plantao.config import Settings
from plantao.errors import Unauthenticated


def session_id(request: Request) -> str | None:
    """The web session id the cookie names, if any (a secret: never log it)."""
    sid = request.session.get(SESSION_KEY)
    return sid if isinstance(sid, str) else None


def session_alive(session: Session, settings: Settings, sid: str) -> bool:
    """Whether a session opened earlier still holds, by the same rules as a page view, without
    counting the check as activity: an open tab that nobody looks at must still reach its idle
    timeout. Rolls back whatever the check wrote."""
    try:
        web_sessions.principal_for(session, settings, sid)
    except Unauthenticated:
        return False
    finally:
        session.rollback()
    return True
