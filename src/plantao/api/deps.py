"""Dependencies shared by every router: the database session and the caller's identity.

Handlers that change state call ``session.commit()`` themselves before returning: FastAPI runs
the code after a dependency's ``yield`` only once the response is sent, too late to promise the
client that what it was told happened is durable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.body_guard import principal_from_state
from plantao.auth import service as auth_service
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.config import Settings
from plantao.errors import Unauthenticated

SESSION_KEY = "sid"  # the web session cookie holds the id of a row in web_sessions


def get_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    session = get_factory(request)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The API takes bearer tokens only, never the web session cookie: a browser attaches the
    cookie to any cross-site form POST, and the JSON API carries no CSRF token."""
    source = request.client.host if request.client else None
    verified = principal_from_state(request.state)
    if verified is not None:  # BodyGuard checked the token before the body was read
        return verified.seen_from(source)
    token = _bearer(request)
    if token is None:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    principal = auth_service.authenticate(session, token)
    session.commit()  # persist last_used_at; nothing else has been written yet
    return principal.seen_from(source)


def _needs(need: Need) -> object:
    """A first, coarse check: the token's scopes allow ``need`` and its owner holds the role on
    at least one team. Routes on a team's object then check that team (e.g.
    ``plantao.incidents.access.get_to_act``)."""

    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        principal.require(need)
        return principal

    return Depends(check)


Viewer = Annotated[Principal, _needs(Need.READ)]
Responder = Annotated[Principal, _needs(Need.RESPOND)]
Manager = Annotated[Principal, _needs(Need.MANAGE)]
Admin = Annotated[Principal, _needs(Need.ADMIN)]
Gate = Annotated[Principal, _needs(Need.GATE)]
Anyone = Annotated[Principal, Depends(current_principal)]
