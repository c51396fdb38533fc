"""The incident's setup and close checklists over the API.

``GET /api/v1/incidents/{ref}/command-checklists`` answers both lists, every item with whether
it is done and why (``source``: ``computed`` from the incident's data, or ``tick`` by a person);
``PUT .../command-checklists/{checklist}/{item}`` ticks or unticks an item a person answers.
(``/checklists`` is the runbooks' triage and step lists, which predate these.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from plantao.api.deps import Responder, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.command import checklist_items as defs
from plantao.command import checklists
from plantao.incidents import access as incident_access
from plantao.incidents.models import Incident
from plantao.statuspage import proposals as status_proposals

router = APIRouter(
    prefix="/api/v1/incidents", tags=["incident command"], responses=problem_responses()
)


class ChecklistItemOut(BaseModel):
    id: str
    label: str
    done: bool
    source: Literal["computed", "tick"] | None
    by: str | None
    at: datetime | None
    value: str | None
    required: bool
    tickable: bool


class ChecklistOut(BaseModel):
    name: Literal["setup", "close"]
    complete: bool
    items: list[ChecklistItemOut]


class CommandChecklistsOut(BaseModel):
    setup: ChecklistOut
    close: ChecklistOut


class TickIn(BaseModel):
    """``done`` ticks (true) or unticks (false); ``value`` is what the item asks for: the
    status page decision (``public`` or ``not_needed``), the postmortem date (YYYY-MM-DD), or
    an optional note such as a link to the graph."""

    model_config = ConfigDict(extra="forbid")
    done: bool
    value: str | None = Field(default=None, max_length=defs.VALUE_MAX)


Lang = Annotated[Literal["en", "pt-BR"], Query(description="language of the labels")]


def present(session: Session, incident: Incident, lang: str = "en") -> CommandChecklistsOut:
    lists = checklists.states(
        session, incident, status_page_decided=status_proposals.decided(session, incident)
    )

    def one(name: Literal["setup", "close"]) -> ChecklistOut:
        items = [
            ChecklistItemOut(
                id=s.item.id,
                label=s.item.label(lang),
                done=s.done,
                source=s.source,
                by=s.by,
                at=s.at,
                value=s.value,
                required=s.required,
                tickable=s.item.tickable,
            )
            for s in lists[name]
        ]
        return ChecklistOut(name=name, complete=all(i.done for i in items), items=items)

    return CommandChecklistsOut(setup=one("setup"), close=one("close"))


@router.get("/{ref}/command-checklists", response_model=CommandChecklistsOut)
def get_checklists(
    ref: str, session: SessionDep, who: Viewer, lang: Lang = "en"
) -> CommandChecklistsOut:
    """Both checklists of the incident, answered."""
    return present(session, incident_access.get_to_read(session, ref, who), lang)


@router.put("/{ref}/command-checklists/{checklist}/{item}", response_model=CommandChecklistsOut)
def tick_item(
    ref: str,
    checklist: str,
    item: str,
    body: TickIn,
    session: SessionDep,
    who: Responder,
    lang: Lang = "en",
) -> CommandChecklistsOut:
    """Tick or untick an item; 409 for an item the incident's data answers (roles, timeline),
    422 for a value that does not fit the item."""
    incident = incident_access.get_to_act(session, ref, who)
    checklists.tick(
        session, incident, checklist, item, done=body.done, value=body.value, actor=who.actor
    )
    session.commit()
    return present(session, incident, lang)
