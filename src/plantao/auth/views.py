"""Token administration (admin only). The clear token is returned once, at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plantao.api.deps import Admin, SessionDep
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth import service as auth_service

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=problem_responses())


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Literal["admin", "responder", "viewer"]


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    role: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str


@router.get("", response_model=list[TokenOut])
def list_tokens(session: SessionDep, _who: Admin) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in auth_service.list_tokens(session)]


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(body: TokenIn, session: SessionDep, _who: Admin) -> TokenCreated:
    row, clear = auth_service.create_token(session, name=body.name, role=body.role)
    session.commit()
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=clear)


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, session: SessionDep, _who: Admin) -> TokenOut:
    row = auth_service.revoke_token(session, token_id)
    session.commit()
    return TokenOut.model_validate(row)
