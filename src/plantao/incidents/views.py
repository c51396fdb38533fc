"""Incident API: list, read, and the responder's verbs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from plantao.api import incident_presenter as presenter
from plantao.api.deps import Responder, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.catalog import service as catalog_service
from plantao.command import checklists as command_checklists
from plantao.errors import Unauthenticated
from plantao.incidents import access as incident_access
from plantao.incidents import privacy, visibility
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.schemas import (
    ActionIn,
    CloseIn,
    IncidentDetail,
    IncidentPage,
    NoteIn,
    SeverityIn,
)
from plantao.oncall import snooze as oncall_snooze
from plantao.oncall.models import Page
from plantao.people.models import User

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problem_responses())


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


@router.get("", response_model=IncidentPage)
def list_incidents(
    session: SessionDep,
    who: Viewer,
    status: Annotated[
        list[str] | None, Query(description="open, triggered, ... (comma list)")
    ] = None,
    severity: Annotated[list[str] | None, Query(description="sev1..sev4 or p0..p3")] = None,
    service: Annotated[list[str] | None, Query(description="service slug")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IncidentPage:
    service_ids = None
    if service:
        service_ids = [catalog_service.service_by_slug(session, s).id for s in _split(service)]
    page = incident_service.list_incidents(
        session,
        statuses=_split(status),
        severities=_split(severity),
        service_ids=service_ids,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
        visible=visibility.visible_clause(who.user_id, who.is_admin),
    )
    return IncidentPage(
        items=presenter.summaries(session, page.items), next_cursor=page.next_cursor
    )


@router.get("/{ref}", response_model=IncidentDetail)
def get_incident(ref: str, session: SessionDep, who: Viewer) -> IncidentDetail:
    return presenter.detail(session, incident_access.get_to_read(session, ref, who))


def _act(
    session: SessionDep, who: Responder, ref: str, action: Action, body: ActionIn | None
) -> IncidentDetail:
    incident = incident_access.get_to_act(session, ref, who)
    incident_service.act(
        session, incident, action, actor=who.actor, note=body.note if body else None
    )
    session.commit()
    return presenter.detail(session, incident)


@router.post("/{ref}/acknowledge", response_model=IncidentDetail)
def acknowledge(
    ref: str, session: SessionDep, who: Responder, body: ActionIn | None = None
) -> IncidentDetail:
    return _act(session, who, ref, Action.ACKNOWLEDGE, body)


@router.post("/{ref}/mitigate", response_model=IncidentDetail)
def mitigate(
    ref: str, session: SessionDep, who: Responder, body: ActionIn | None = None
) -> IncidentDetail:
    return _act(session, who, ref, Action.MITIGATE, body)


@router.post("/{ref}/resolve", response_model=IncidentDetail)
def resolve(
    ref: str, session: SessionDep, who: Responder, body: ActionIn | None = None
) -> IncidentDetail:
    return _act(session, who, ref, Action.RESOLVE, body)


@router.post("/{ref}/reopen", response_model=IncidentDetail)
def reopen(
    ref: str, session: SessionDep, who: Responder, body: ActionIn | None = None
) -> IncidentDetail:
    return _act(session, who, ref, Action.REOPEN, body)


@router.post("/{ref}/close", response_model=IncidentDetail)
def close(
    ref: str, session: SessionDep, who: Responder, body: CloseIn | None = None
) -> IncidentDetail:
    """Close a resolved incident. With close-checklist items unchecked, ``reason`` is required
    (409 naming the items otherwise, nothing changed) and goes on the timeline with them."""
    incident = incident_access.get_to_act(session, ref, who)
    command_checklists.close(
        session,
        incident,
        actor=who.actor,
        note=body.note if body else None,
        reason=body.reason if body else None,
    )
    session.commit()
    return presenter.detail(session, incident)


@router.post("/{ref}/notes", response_model=IncidentDetail, status_code=201)
def add_note(ref: str, body: NoteIn, session: SessionDep, who: Responder) -> IncidentDetail:
    incident = incident_access.get_to_act(session, ref, who)
    incident_service.add_note(session, incident, actor=who.actor, text=body.text, kind=body.kind)
    session.commit()
    return presenter.detail(session, incident)


@router.post("/{ref}/severity", response_model=IncidentDetail)
def change_severity(
    ref: str, body: SeverityIn, session: SessionDep, who: Responder
) -> IncidentDetail:
    incident = incident_access.get_to_act(session, ref, who)
    incident_service.change_severity(
        session, incident, actor=who.actor, new=body.severity, reason=body.reason
    )
    session.commit()
    return presenter.detail(session, incident)


class SnoozeIn(BaseModel):
    """Page again after ``minutes`` (1 to 1440) unless someone acts first."""

    model_config = ConfigDict(extra="forbid")
    minutes: int = Field(ge=oncall_snooze.MIN_MINUTES, le=oncall_snooze.MAX_MINUTES)


@router.post("/{ref}/snooze", response_model=IncidentDetail)
def snooze(ref: str, body: SnoozeIn, session: SessionDep, who: Responder) -> IncidentDetail:
    """Snooze an acknowledged incident: it returns to triggered and pages again when the
    snooze ends (409 unless it is acknowledged)."""
    incident = incident_access.get_to_act(session, ref, who)
    oncall_snooze.snooze(session, incident, body.minutes, actor=who.actor)
    session.commit()
    return presenter.detail(session, incident)


class VisibilityIn(BaseModel):
    """``private``: only the incident's responders and admins see it."""

    model_config = ConfigDict(extra="forbid")
    private: bool


@router.post("/{ref}/visibility", response_model=IncidentDetail)
def set_visibility(
    ref: str, body: VisibilityIn, session: SessionDep, who: Responder
) -> IncidentDetail:
    """Make the incident private or public. Making it private adds the caller as a responder,
    and keeps the people already paged for it (docs/incident-command.md, Private incidents)."""
    incident = incident_access.get_to_act(session, ref, who)
    paged = session.scalars(select(Page.user_id).where(Page.incident_id == incident.id))
    actor = session.get(User, who.user_id)
    if actor is None:  # the token's owner was deleted while this request ran
        raise Unauthenticated("the caller no longer exists")
    privacy.set_private(session, incident, body.private, actor=actor, keep=list(paged))
    session.commit()
    return presenter.detail(session, incident)
