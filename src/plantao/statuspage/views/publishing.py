"""Publishing incidents on the status page over the API.

``POST /api/v1/incidents/{ref}/publish`` publishes the incident (``INC-…`` or its number) with
the Comms Lead's public words and the affected components (201); ``POST
/api/v1/public-incidents/{public_id}/updates`` posts a later public update, ``resolved`` ending
it (201). ``GET /api/v1/incidents/{ref}/publication`` answers what is proposed and published;
``POST …/publication/dismiss`` stops the proposal for a page. Reading needs sight of the
incident (a private one is not found for others); publishing is its Comms Lead's or IC's, or a
manager's of its team.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from plantao.api.deps import Responder, SessionDep, SettingsDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import NotFound
from plantao.incidents import access as incident_access
from plantao.statuspage import publish_reading, publishing
from plantao.statuspage.models import PublicIncident
from plantao.statuspage.publish_schemas import (
    DismissedOut,
    DismissIn,
    PublicationOut,
    PublicIncidentList,
    PublicIncidentOut,
    PublishedOut,
    PublishIn,
    UpdateIn,
)

router = APIRouter(prefix="/api/v1", tags=["status page"], responses=problem_responses())
PageQuery = Annotated[str | None, Query(min_length=1, max_length=64, description="page slug")]


@router.post("/incidents/{ref}/publish", response_model=PublishedOut, status_code=201)
def publish(
    ref: str, body: PublishIn, session: SessionDep, who: Responder, settings: SettingsDep
) -> PublishedOut:
    """Publish the incident on a status page (default ``public``) with public words only:
    ``title``, ``body``, ``components`` (slug or name → status). 409 when it is private or
    already published there; 422 naming the page's components for an unknown one."""
    incident = incident_access.get_to_read(session, ref, who, for_update=True)
    publishing.require_publisher(session, who, incident)
    public, update = publishing.publish(
        session,
        incident,
        page=body.page,
        title=body.title,
        body=body.body,
        components=body.components,
        status=body.status,
        actor=who.actor,
    )
    out = publish_reading.published(session, update, public, settings.base_url)
    session.commit()
    return out


def _public_to_act(session: Session, public_id: int, who: Principal) -> PublicIncident:
    public = publishing.open_public(session, public_id)
    if public.incident_id is None:
        who.require(Need.ADMIN)  # its incident is gone: only an admin answers for it
        return public
    incident = incident_access.get_to_read(session, public.incident_id, who, for_update=True)
    publishing.require_publisher(session, who, incident)
    return public


@router.post("/public-incidents/{public_id}/updates", response_model=PublishedOut, status_code=201)
def post_update(
    public_id: Id, body: UpdateIn, session: SessionDep, who: Responder, settings: SettingsDep
) -> PublishedOut:
    """A later public update (``status``, ``body``; optional ``components`` changes);
    ``resolved`` ends it and restores its components. 409 once it is resolved."""
    public = _public_to_act(session, public_id, who)
    update = publishing.post_update(
        session,
        public,
        status=body.status,
        body=body.body,
        components=body.components,
        actor=who.actor,
    )
    out = publish_reading.published(session, update, public, settings.base_url)
    session.commit()
    return out


@router.get("/incidents/{ref}/publication", response_model=PublicationOut)
def publication(
    ref: str, session: SessionDep, who: Viewer, settings: SettingsDep
) -> PublicationOut:
    """What is proposed (pages whose components its service feeds) and published."""
    incident = incident_access.get_to_read(session, ref, who)
    return publish_reading.publication(session, incident, settings.base_url)


@router.post("/incidents/{ref}/publication/dismiss", response_model=DismissedOut)
def dismiss(
    ref: str, session: SessionDep, who: Responder, body: DismissIn | None = None
) -> DismissedOut:
    """Do not publish the incident on this page (default ``public``): the proposal stops and
    the setup checklist's "status page decided" is answered."""
    incident = incident_access.get_to_read(session, ref, who, for_update=True)
    publishing.require_publisher(session, who, incident)
    page = publishing.dismiss(session, incident, body.page if body else None, who.actor)
    session.commit()
    return DismissedOut(incident=incident.human_id, page=page.slug)


@router.get("/public-incidents", response_model=PublicIncidentList)
def list_public(
    session: SessionDep,
    who: Viewer,
    settings: SettingsDep,
    page: PageQuery = None,
    open: bool | None = None,
) -> PublicIncidentList:
    """Public incidents, newest first, of one page or all; ``open=true`` unresolved only."""
    the_page = publishing.page_named(session, page) if page else None
    return PublicIncidentList(
        items=publish_reading.listing(
            session, who, page=the_page, open_only=open, base_url=settings.base_url
        )
    )


@router.get("/public-incidents/{public_id}", response_model=PublicIncidentOut)
def read_public(
    public_id: Id, session: SessionDep, who: Viewer, settings: SettingsDep
) -> PublicIncidentOut:
    public = session.get(PublicIncident, public_id)
    if public is None or not publish_reading.visible(session, who, public):
        raise NotFound(f"no public incident {public_id}")
    return publish_reading.details(session, [public], settings.base_url)[0]
