"""Declaring an incident by hand over the API: ``POST /api/v1/incidents`` (seed 002,
"Critérios de abertura"). The service's escalation policy pages as for an alert."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from plantao.api import incident_presenter as presenter
from plantao.api.deps import Responder, SessionDep
from plantao.api.errors import problem_responses
from plantao.incidents import declare
from plantao.incidents.schemas import IncidentDetail

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problem_responses())

Category = Literal["customer_report", "slo_breach", "data_leak", "cost", "security", "other"]


class DeclareIn(BaseModel):
    """``severity``: sev1..sev4 or p0..p3. ``private``: only its responders and admins see it."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=declare.TITLE_MAX)
    service: str = Field(min_length=1, max_length=64, description="the service's slug")
    severity: str = Field(min_length=1, max_length=16)
    description: str | None = Field(default=None, max_length=declare.DESCRIPTION_MAX)
    private: bool = False
    category: Category | None = None


@router.post("", response_model=IncidentDetail, status_code=201)
def declare_incident(body: DeclareIn, session: SessionDep, who: Responder) -> IncidentDetail:
    """Open an incident by hand; needs the responder role on the service's team."""
    incident = declare.declare(
        session, declare.Declaration(**body.model_dump()), actor=who.actor, who=who
    )
    session.commit()  # the human id (INC-YYYYMMDD-N) is given here; the detail reads it back
    return presenter.detail(session, incident)
