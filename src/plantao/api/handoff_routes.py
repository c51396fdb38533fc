"""Shift handoffs over the API.

``GET /api/v1/handoffs?schedule=<slug>`` lists the generated handoffs (newest first) with their
text and recipients; ``GET /api/v1/handoffs/{id}`` one of them; ``PATCH /api/v1/handoffs/{id}``
``{"notes": "…"}`` changes the outgoing person's notes; ``POST /api/v1/handoffs/{id}/send``
sends it at the engine's next cycle. Changing and sending are for the outgoing person, a
manager of a team owning the schedule's services, or an admin, and only while the handoff is a
draft (409 after). The text is in ``lang`` (en or pt-BR; default: the caller's language).

Lives in ``api`` rather than ``oncall/views.py`` because that router belongs to the rest of
on-call and import rules allow FastAPI only in entry points and ``views`` modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from plantao.api.deps import Responder, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.oncall import handoff_editing
from plantao.oncall.handoff_facts import HandoffFacts
from plantao.oncall.handoff_models import Handoff
from plantao.oncall.handoff_render import language_of

router = APIRouter(tags=["on-call"], responses=problem_responses())

Lang = Annotated[
    Literal["en", "pt-BR"] | None,
    Query(description="language of the text; default: the caller's"),
]


class HandoffOut(BaseModel):
    """A handoff as its recipients read it, with what it was built from."""

    id: int
    schedule: str
    handoff_at: datetime
    outgoing: list[str]
    incoming: list[str]
    status: Literal["draft", "sent"]
    overall: str = Field(description="stable, minor_issues or active_incident")
    send_at: datetime
    sent_at: datetime | None
    notes: str
    notes_by: str | None
    notes_at: datetime | None
    subject: str
    text: str
    language: str
    recipients: list[dict[str, Any]]
    facts: dict[str, Any]
    can_edit: bool


class NotesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str = Field(max_length=handoff_editing.MAX_NOTES)


def _out(session: SessionDep, row: Handoff, who: Principal, lang: str | None) -> HandoffOut:
    language = language_of(lang or who.language)
    text = handoff_editing.text_of(row, language)
    facts = HandoffFacts.from_dict(row.facts)
    return HandoffOut(
        id=row.id,
        schedule=facts.schedule,
        handoff_at=row.handoff_at,
        outgoing=list(row.outgoing),
        incoming=list(row.incoming),
        status="sent" if row.status == "sent" else "draft",
        overall=facts.status,
        send_at=row.send_at,
        sent_at=row.sent_at,
        notes=row.notes,
        notes_by=row.notes_by,
        notes_at=row.notes_at,
        subject=text.subject,
        text=text.text,
        language=language,
        recipients=list(row.recipients),
        facts=row.facts,
        can_edit=row.status == "draft" and handoff_editing.can_edit(session, row, who),
    )


@router.get("/api/v1/handoffs", response_model=list[HandoffOut])
def list_handoffs(
    session: SessionDep,
    who: Viewer,
    schedule: Annotated[str | None, Query(max_length=64, description="a schedule's slug")] = None,
    limit: Annotated[int, Query(ge=1, le=handoff_editing.MAX_LIST)] = 50,
    lang: Lang = None,
) -> list[HandoffOut]:
    """Generated handoffs, newest first, with their text and recipients."""
    return [
        _out(session, row, who, lang) for row in handoff_editing.list_for(session, schedule, limit)
    ]


@router.get("/api/v1/handoffs/{handoff_id}", response_model=HandoffOut)
def get_handoff(handoff_id: Id, session: SessionDep, who: Viewer, lang: Lang = None) -> HandoffOut:
    return _out(session, handoff_editing.get(session, handoff_id), who, lang)


@router.patch("/api/v1/handoffs/{handoff_id}", response_model=HandoffOut)
def edit_notes(
    handoff_id: Id, body: NotesIn, session: SessionDep, who: Responder, lang: Lang = None
) -> HandoffOut:
    """Replace the notes (outgoing person, team manager or admin; 409 once sent)."""
    row = handoff_editing.get(session, handoff_id, lock=True)
    handoff_editing.edit_notes(session, row, who, body.notes)
    out = _out(session, row, who, lang)
    session.commit()
    return out


@router.post("/api/v1/handoffs/{handoff_id}/send", response_model=HandoffOut, status_code=202)
def send_now(handoff_id: Id, session: SessionDep, who: Responder, lang: Lang = None) -> HandoffOut:
    """Send at the engine's next cycle instead of at ``send_at`` (409 once sent)."""
    row = handoff_editing.get(session, handoff_id, lock=True)
    handoff_editing.send_now(session, row, who)
    out = _out(session, row, who, lang)
    session.commit()
    return out
