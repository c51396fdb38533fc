"""Tokens: everyone manages their own; an admin sees and revokes anyone's and creates tokens
for service accounts. The clear token is returned once, at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plantao.api.deps import Anyone, SessionDep
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth import service as auth_service
from plantao.auth.models import ApiToken
from plantao.auth.roles import READING, WRITING, Need, Scope, implied
from plantao.errors import PermissionDenied
from plantao.people import directory

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=problem_responses())

ScopeName = Literal["read", "respond", "admin", "gate", "intake"]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    scopes: list[ScopeName] = Field(min_length=1, max_length=5)
    expires_at: datetime | None = None
    user: str | None = Field(
        default=None, max_length=64, description="Another user or service account (admin only)."
    )


class TokenOut(BaseModel):
    id: int
    name: str
    user: str
    scopes: list[str]
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str


def _out(row: ApiToken, handle: str) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        user=handle,
        scopes=[s for s in row.scopes.split(",") if s],
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _handles(session: SessionDep) -> dict[int, str]:
    return {u.id: u.handle for u in directory.list_users(session)}


@router.get("", response_model=list[TokenOut])
def list_tokens(session: SessionDep, who: Anyone, all: bool = False) -> list[TokenOut]:
    """Your tokens; with ``all=true`` (admin) everyone's."""
    who.access.require_scope(READING, "reading tokens")
    if all:
        who.require(Need.ADMIN)
    handles = _handles(session)
    rows = auth_service.list_tokens(session, user_id=None if all else who.user_id)
    return [_out(t, handles.get(t.user_id, "?")) for t in rows]


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, session: SessionDep, who: Anyone) -> TokenCreated:
    """A token for yourself, with at most your own rights (the scopes narrow them). A token
    can only create tokens with its own scopes or fewer, so a leaked narrow token never mints
    a wider one."""
    who.access.require_scope(WRITING, "creating tokens")
    wanted = frozenset(Scope(s) for s in body.scopes)
    if who.token_id is not None and not wanted <= implied(who.access.scopes):
        raise PermissionDenied("a token can only create tokens with its own scopes or fewer")
    if body.user is not None and body.user != who.handle:
        who.require(Need.ADMIN)
        owner = directory.get(session, body.user)
    else:
        owner = directory.get(session, who.handle)
    if "admin" in body.scopes and owner.global_role != "admin":
        raise PermissionDenied("only an admin's token can carry the admin scope")
    row, clear = auth_service.create_token(
        session,
        user=owner,
        name=body.name,
        scopes=list(body.scopes),
        expires_at=body.expires_at,
        actor=who.audit_actor,
    )
    session.commit()
    return TokenCreated(**_out(row, owner.handle).model_dump(), token=clear)


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, session: SessionDep, who: Anyone) -> TokenOut:
    """Revoke one of your tokens (an admin: anyone's)."""
    who.access.require_scope(WRITING, "revoking tokens")
    owner_id = None if who.can(Need.ADMIN) else who.user_id
    row = auth_service.revoke_token(session, token_id, actor=who.audit_actor, owner_id=owner_id)
    session.commit()
    return _out(row, _handles(session).get(row.user_id, "?"))
