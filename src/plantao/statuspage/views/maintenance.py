"""Showing a maintenance window on a status page over the API (opt-in per window).

``POST /api/v1/maintenance/{id}/status-page`` ``{title, body, components, page}`` shows window
``id`` (a silence or maintenance window of ``/api/v1/silences``) on the page in these public
words, replacing what it said there; ``DELETE …/status-page[?page=<slug>]`` stops showing it.
Both need what changing the window itself needs (the manager role on the teams of its services);
windows from ``plantao.yaml`` are shown through the file (``maintenance_windows[].status_page``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from plantao.api.deps import Responder, SessionDep
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.errors import Conflict, NotFound
from plantao.oncall import service as oncall_service
from plantao.oncall.models import Silence
from plantao.statuspage import maintenance, maintenance_jobs
from plantao.statuspage.models import StatusPage
from plantao.statuspage.pages import DEFAULT_SLUG, ensure_default

router = APIRouter(tags=["status page"], responses=problem_responses())

SLUG = r"^[a-z0-9][a-z0-9-]*$"


class MaintenanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20000)
    components: list[Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG)]] = Field(
        default_factory=list, max_length=200
    )
    page: str = Field(default=DEFAULT_SLUG, min_length=1, max_length=64, pattern=SLUG)


class MaintenanceOut(BaseModel):
    id: int
    silence_id: int
    page: str
    title: str
    body: str
    components: list[str]
    created_at: datetime


def _window(session: SessionDep, silence_id: int, who: Principal) -> Silence:
    found = session.get(Silence, silence_id)
    if found is None:
        raise NotFound(f"maintenance window {silence_id} does not exist")
    oncall_service.require_window(session, who, found.services)
    return found


@router.post("/api/v1/maintenance/{silence_id}/status-page", response_model=MaintenanceOut)
def announce(
    silence_id: Id, body: MaintenanceIn, session: SessionDep, who: Responder
) -> MaintenanceOut:
    """Show the window on a status page (the file's windows are shown through the file)."""
    found = _window(session, silence_id, who)
    if found.origin == "config":
        raise Conflict("maintenance windows from plantao.yaml are shown through the file")
    if body.page == DEFAULT_SLUG:
        ensure_default(session)
    row = maintenance.announce(
        session,
        silence_id,
        maintenance.Announcement(
            page=body.page,
            title=body.title,
            body=body.body,
            components=tuple(dict.fromkeys(body.components)),
        ),
    )
    maintenance_jobs.after_change(session, [row.page_id])
    out = MaintenanceOut(
        id=row.id,
        silence_id=silence_id,
        page=body.page,
        title=row.title,
        body=row.body,
        components=list(row.components),
        created_at=row.created_at,
    )
    session.commit()
    return out


@router.delete("/api/v1/maintenance/{silence_id}/status-page", status_code=204)
def withdraw(
    silence_id: Id,
    session: SessionDep,
    who: Responder,
    page: Annotated[str | None, Query(max_length=64, pattern=SLUG)] = None,
) -> Response:
    """Stop showing the window (on ``page``, or on every page showing it)."""
    found = _window(session, silence_id, who)
    if found.origin == "config":
        raise Conflict("maintenance windows from plantao.yaml are shown through the file")
    if (
        page is not None
        and session.scalar(select(StatusPage.id).where(StatusPage.slug == page)) is None
    ):
        raise NotFound(f"status page {page!r} does not exist")
    page_ids = maintenance.withdraw(session, silence_id, page)
    maintenance_jobs.after_change(session, page_ids)
    session.commit()
    return Response(status_code=204)
