"""Incident roles over the API (seed 002 RACI, one hat per person).

``PUT /api/v1/incidents/{ref}/roles/{role}`` ``{"user", "handoff"?}`` assigns a role or hands it
over (``handoff``: the IC hand-off, recorded formatted on the timeline); ``DELETE`` with
``?user=`` takes it off. Both answer the incident. A second hat is 409 naming the one worn.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from plantao.api import incident_presenter as presenter
from plantao.api.deps import Responder, SessionDep
from plantao.api.errors import problem_responses
from plantao.command import roles
from plantao.incidents import access as incident_access
from plantao.incidents.schemas import IncidentDetail
from plantao.statuspage import sev1_prompt

router = APIRouter(
    prefix="/api/v1/incidents", tags=["incident command"], responses=problem_responses()
)


class HandoffIn(BaseModel):
    """The IC hand-off (seed 002, 003 §11.4): context, status now, next steps."""

    model_config = ConfigDict(extra="forbid")
    context: str = Field(default="", max_length=roles.HANDOFF_FIELD_MAX)
    status: str = Field(default="", max_length=roles.HANDOFF_FIELD_MAX)
    next_steps: str = Field(default="", max_length=roles.HANDOFF_FIELD_MAX)


class RoleIn(BaseModel):
    """Who gets the role (a person's handle); ``handoff`` only for ``incident_commander``."""

    model_config = ConfigDict(extra="forbid")
    user: str = Field(min_length=1, max_length=64)
    handoff: HandoffIn | None = None


@router.put("/{ref}/roles/{role}", response_model=IncidentDetail)
def assign_role(
    ref: str, role: str, body: RoleIn, session: SessionDep, who: Responder
) -> IncidentDetail:
    """Give ``role`` (incident_commander, comms_lead, ops_lead, sme, scribe) to a person;
    a single-holder role held by someone else is handed over. 409 when they wear another."""
    incident = incident_access.get_to_act(session, ref, who)
    roles.check_role(role)
    user = roles.person(session, body.user)
    handoff = roles.Handoff(**body.handoff.model_dump()) if body.handoff else None
    roles.assign(session, incident, role, user, actor=who.actor, handoff=handoff)
    sev1_prompt.prompt_sev1(session, [incident])  # a Sev1's new Comms Lead or IC is asked
    session.commit()
    return presenter.detail(session, incident)


@router.delete("/{ref}/roles/{role}", response_model=IncidentDetail)
def remove_role(
    ref: str,
    role: str,
    session: SessionDep,
    who: Responder,
    user: Annotated[str | None, Query(max_length=64, description="the holder (an SME)")] = None,
) -> IncidentDetail:
    """Take ``role`` off its holder (``user``: which one; needed for one of several SMEs)."""
    incident = incident_access.get_to_act(session, ref, who)
    roles.check_role(role)
    person = roles.person(session, user) if user else None
    roles.unassign(session, incident, role, person, actor=who.actor)
    session.commit()
    return presenter.detail(session, incident)
