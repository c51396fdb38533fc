"""Stakeholders API: who is kept informed of a service's, a team's or every incident.

Listing needs a manager (addresses are people's and lists' e-mail addresses); adding or removing
one needs the manager role on its team, or an admin for global stakeholders. Webhook URLs are
shown up to their host and secrets never (an incoming-webhook URL is a credential).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from plantao.api.deps import Manager, SessionDep
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.command import stakeholders
from plantao.command.models import Stakeholder
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.people.models import User

router = APIRouter(prefix="/api/v1", tags=["stakeholders"], responses=problem_responses())


class StakeholderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: Literal["global", "team", "service"]
    scope_slug: str = Field(default="", max_length=64, description="team or service slug")
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["user", "email", "slack", "teams", "mattermost", "webhook"]
    user: str | None = Field(default=None, max_length=64, description="handle (kind user)")
    address: str | None = Field(default=None, max_length=2048)
    secret: str | None = Field(default=None, max_length=512, description="generic webhook")
    language: Literal["en", "pt-BR"] = "en"
    min_severity: str = Field(default="sev4", max_length=8)


class StakeholderOut(BaseModel):
    id: int
    scope: str
    scope_slug: str
    name: str
    kind: str
    user: str | None
    address: str | None
    language: str
    min_severity: str
    origin: str


def _out(row: Stakeholder, handles: dict[int, str]) -> StakeholderOut:
    return StakeholderOut(
        id=row.id,
        scope=row.scope,
        scope_slug=row.scope_slug,
        name=row.name,
        kind=row.kind,
        user=handles.get(row.user_id) if row.user_id is not None else None,
        address=stakeholders.shown_address(row),
        language=row.language,
        min_severity=row.min_severity,
        origin=row.origin,
    )


def _handles(session: Session, rows: list[Stakeholder]) -> dict[int, str]:
    ids = {r.user_id for r in rows if r.user_id is not None}
    return {u.id: u.handle for u in (session.get(User, i) for i in ids) if u is not None}


def _authorize(session: Session, who: Principal, scope: str, scope_slug: str) -> None:
    try:
        stakeholders.require_manage(session, who, scope, scope_slug)
    except NotFound as exc:
        raise ValidationFailed(f"scope_slug: {exc}") from exc


@router.get("/stakeholders", response_model=list[StakeholderOut])
def list_stakeholders(session: SessionDep, _who: Manager) -> list[StakeholderOut]:
    rows = stakeholders.list_stakeholders(session)
    handles = _handles(session, rows)
    return [_out(r, handles) for r in rows]


@router.post("/stakeholders", status_code=201, response_model=StakeholderOut)
def add_stakeholder(body: StakeholderIn, session: SessionDep, who: Manager) -> StakeholderOut:
    _authorize(session, who, body.scope, body.scope_slug)
    row = stakeholders.create(
        session,
        stakeholders.StakeholderSpec(**body.model_dump()),
        actor=who.actor,
        audit_actor=who.audit_actor,
    )
    session.commit()
    return _out(row, _handles(session, [row]))


@router.delete("/stakeholders/{stakeholder_id}", status_code=204)
def delete_stakeholder(stakeholder_id: Id, session: SessionDep, who: Manager) -> Response:
    row = stakeholders.get(session, stakeholder_id)
    stakeholders.require_manage(session, who, row.scope, row.scope_slug)
    if row.origin == "config":
        raise Conflict(f"stakeholder {row.name!r} is declared in plantao.yaml; remove it there")
    stakeholders.delete(session, row, audit_actor=who.audit_actor)
    session.commit()
    return Response(status_code=204)
