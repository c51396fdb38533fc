"""Responders API: page more people onto an incident and follow whether they answered.

``POST /api/v1/incidents/{ref}/responders`` takes exactly one of ``user``, ``schedule`` or
``policy`` (and an optional ``message`` sent with the page) and answers 201 with every
responder of the incident. Acting needs the right to act on the incident (its team's
responders, people already added to it, managers, admins). Acknowledging a page is the paged
person's own business: nobody acknowledges for someone else.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plantao.api.deps import Anyone, SessionDep
from plantao.api.errors import problem_responses
from plantao.auth.roles import Scope
from plantao.command import responders
from plantao.errors import PermissionDenied
from plantao.incidents import access as incident_access
from plantao.incidents.schemas import ResponderOut

router = APIRouter(prefix="/api/v1/incidents", tags=["responders"], responses=problem_responses())
_RESPOND = frozenset({Scope.RESPOND, Scope.ADMIN})


class ResponderIn(BaseModel):
    """Exactly one of ``user`` (a handle), ``schedule`` (whoever is on call now) or
    ``policy`` (the people its first step reaches now)."""

    model_config = ConfigDict(extra="forbid")
    user: str | None = Field(default=None, max_length=64)
    schedule: str | None = Field(default=None, max_length=64)
    policy: str | None = Field(default=None, max_length=64)
    message: str | None = Field(
        default=None, max_length=responders.MESSAGE_MAX, description="sent with the page"
    )


class ResponderList(BaseModel):
    items: list[ResponderOut]


@router.get("/{ref}/responders", response_model=ResponderList)
def list_responders(ref: str, session: SessionDep, who: Anyone) -> ResponderList:
    """Everyone asked onto the incident, with their state (paged, acknowledged, joined)."""
    who.access.require_scope(frozenset({Scope.READ, *_RESPOND}), "reading incidents")
    incident = incident_access.get_to_read(session, ref, who)
    return ResponderList(items=responders.listing(session, incident.id))


@router.post("/{ref}/responders", response_model=ResponderList, status_code=201)
def add_responders(ref: str, body: ResponderIn, session: SessionDep, who: Anyone) -> ResponderList:
    """Page a user, whoever a schedule has on call, or a policy's first step, as responders."""
    source = responders.source_of(user=body.user, schedule=body.schedule, policy=body.policy)
    incident = incident_access.get_to_act(session, ref, who)
    responders.add(
        session,
        incident,
        user=source.name if source.kind == "user" else None,
        schedule=source.name if source.kind == "schedule" else None,
        policy=source.name if source.kind == "policy" else None,
        actor=who.actor,
        message=body.message,
    )
    session.commit()
    return ResponderList(items=responders.listing(session, incident.id))


@router.post("/{ref}/responders/{handle}/acknowledge", response_model=ResponderList)
def acknowledge_page(ref: str, handle: str, session: SessionDep, who: Anyone) -> ResponderList:
    """The paged person answers their page (only they may); already answered is a no-op."""
    who.access.require_scope(_RESPOND, "acknowledging a page")
    if handle != who.handle:
        raise PermissionDenied("only the person paged may acknowledge their page")
    incident = incident_access.get_to_read(session, ref, who, for_update=True)
    responders.acknowledge(session, incident, responders.person(session, handle))
    session.commit()
    return ResponderList(items=responders.listing(session, incident.id))


@router.post("/{ref}/join", response_model=ResponderList)
def join(ref: str, session: SessionDep, who: Anyone) -> ResponderList:
    """The caller is working on the incident: a ``joined`` responder."""
    incident = incident_access.get_to_act(session, ref, who)
    responders.join(session, incident, responders.person(session, who.handle))
    session.commit()
    return ResponderList(items=responders.listing(session, incident.id))
