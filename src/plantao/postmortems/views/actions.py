"""Corrective actions over the API (seed 002 action tracking) and the Learn step's suggestions.

``POST /api/v1/postmortems/{id}/actions`` ``{"title", "owner", "due_date", "must_fix", …}``
answers 201 ``{"id": "AC-01", …}``; ``PATCH /api/v1/actions/{id}`` ``{"status": "done"}``
answers 200. Ids are ``AC-07``, ``ac-7`` or ``7``. ``GET /api/v1/actions`` lists actions across
the installation (``?overdue=true``: still open, due day past in UTC). Responders of the
incident's team create and edit; an action's owner may always change its status; a private
incident's actions are not found by who may not see it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from plantao.api.deps import Responder, SessionDep, SettingsDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.config import Settings
from plantao.errors import ValidationFailed
from plantao.postmortems import access as pm_access
from plantao.postmortems import actions, suggestions
from plantao.postmortems.action_schemas import ActionIn, ActionOut, ActionPatch, SuggestionOut

router = APIRouter(prefix="/api/v1", tags=["corrective actions"], responses=problem_responses())

ActionRef = Annotated[str, Path(min_length=1, max_length=40, description="AC-07, ac-7 or 7")]
Status = Literal["open", "in_progress", "done", "wont_do"]
Handle = Annotated[str | None, Query(max_length=64, description="owner's handle")]
Slug = Annotated[str | None, Query(max_length=64, description="service slug")]


def _out(session: Session, rows: list[Any], settings: Settings) -> list[ActionOut]:
    described = actions.describe(session, rows, settings.base_url)
    return [ActionOut.model_validate(d) for d in described]


@router.post("/postmortems/{pm_id}/actions", response_model=ActionOut, status_code=201)
def create_action(
    pm_id: Id, body: ActionIn, session: SessionDep, who: Responder, settings: SettingsDep
) -> ActionOut:
    """Add a corrective action to the postmortem (a responder on its incident). ``origin``: the
    key of a suggestion from ``GET …/suggestions`` when adding one of those."""
    postmortem, incident = pm_access.to_act(session, pm_id, who)
    if body.origin is not None and suggestions.find(session, incident, body.origin) is None:
        raise ValidationFailed(
            f"origin: '{body.origin}' is not a suggestion of this postmortem",
            errors=[{"field": "origin", "message": "not a suggestion key"}],
        )
    row = actions.create(
        session, postmortem, incident, body, actor=who.actor, audit_actor=who.audit_actor
    )
    out = _out(session, [row], settings)[0]
    session.commit()
    return out


@router.get("/postmortems/{pm_id}/actions", response_model=list[ActionOut])
def list_postmortem_actions(
    pm_id: Id, session: SessionDep, who: Viewer, settings: SettingsDep
) -> list[ActionOut]:
    """The postmortem's actions, oldest first."""
    postmortem, _ = pm_access.to_read(session, pm_id, who)
    return _out(session, actions.for_postmortem(session, postmortem.id), settings)


@router.get("/postmortems/{pm_id}/suggestions", response_model=list[SuggestionOut])
def list_suggestions(
    pm_id: Id, session: SessionDep, who: Viewer, language: Literal["en", "pt-BR"] = "en"
) -> list[SuggestionOut]:
    """The Learn step's follow-ups not yet added: review the runbooks linked, the alerts that
    fired, the service's dashboard; an ADR. Add one with ``origin`` = its ``key``."""
    postmortem, incident = pm_access.to_read(session, pm_id, who)
    return [
        SuggestionOut(
            key=s.key,
            kind=s.kind,
            title=s.title(language),
            title_en=s.title_en,
            title_pt_br=s.title_pt_br,
        )
        for s in suggestions.pending(session, postmortem, incident)
    ]


@router.get("/actions", response_model=list[ActionOut])
def list_actions(
    session: SessionDep,
    who: Viewer,
    settings: SettingsDep,
    status: Status | None = None,
    owner: Handle = None,
    service: Slug = None,
    must_fix: bool | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ActionOut]:
    """Actions across the installation you may see, soonest due first. ``overdue=true``: open
    or in progress with the due day past (UTC)."""
    filt = actions.ActionFilter(
        status=status, owner=owner, service=service, must_fix=must_fix, overdue=overdue
    )
    return _out(session, actions.search(session, filt, who, limit=limit), settings)


@router.get("/actions/{action_ref}", response_model=ActionOut)
def get_action(
    action_ref: ActionRef, session: SessionDep, who: Viewer, settings: SettingsDep
) -> ActionOut:
    """One action by its id (``AC-07``)."""
    row, _ = actions.get_to_read(session, action_ref, who)
    return _out(session, [row], settings)[0]


@router.patch("/actions/{action_ref}", response_model=ActionOut)
def change_action(
    action_ref: ActionRef,
    body: ActionPatch,
    session: SessionDep,
    who: Viewer,
    settings: SettingsDep,
) -> ActionOut:
    """Change an action: any field by a responder on its incident, the status (and a won't-do
    reason) also by its owner. ``wont_do`` needs ``reason``; ``done``/``wont_do`` reopen to
    ``open``."""
    row, incident = actions.get_to_change(session, action_ref, who, body)
    actions.update(session, row, incident, body, actor=who.actor, audit_actor=who.audit_actor)
    out = _out(session, [row], settings)[0]
    session.commit()
    return out
