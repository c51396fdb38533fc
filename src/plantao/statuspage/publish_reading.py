"""Public incidents read back for the people who publish them (the API and the incident
page): with their updates, affected components and public URL. Public incidents whose incident
is private are shown only to those who may see that incident."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.incidents import access
from plantao.incidents.models import Incident
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
)
from plantao.statuspage.proposals import Proposal, proposals
from plantao.statuspage.publish_schemas import (
    FedComponentOut,
    ProposalOut,
    PublicationOut,
    PublicIncidentOut,
    PublicUpdateOut,
    PublishedOut,
)
from plantao.statuspage.publishing import url_of

LIST_MAX = 200


def affected(session: Session, public_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Each public incident's components (slug → status)."""
    out: dict[int, dict[str, str]] = defaultdict(dict)
    if not public_ids:
        return out
    rows = session.execute(
        select(
            PublicIncidentComponent.public_incident_id,
            StatusComponent.slug,
            PublicIncidentComponent.status,
        )
        .join(StatusComponent, StatusComponent.id == PublicIncidentComponent.component_id)
        .where(PublicIncidentComponent.public_incident_id.in_(sorted(set(public_ids))))
        .order_by(StatusComponent.position, StatusComponent.id)
    ).tuples()
    for public_id, slug, status in rows:
        out[public_id][slug] = status
    return out


def _update(row: PublicUpdate) -> PublicUpdateOut:
    return PublicUpdateOut(
        id=row.id,
        status=row.status,
        body=row.body,
        components=dict(row.components or {}),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def published(
    session: Session, update: PublicUpdate, public: PublicIncident, base_url: str
) -> PublishedOut:
    """The answer to a publication or an update."""
    page = session.get(StatusPage, public.page_id)
    assert page is not None
    return PublishedOut(
        id=update.id,
        incident=public.id,
        page=page.slug,
        title=public.title,
        status=public.status,
        impact=public.impact,
        components=affected(session, [public.id])[public.id],
        body=update.body,
        url=url_of(page, public.id, base_url),
        created_at=update.created_at,
        resolved_at=public.resolved_at,
    )


def details(
    session: Session, publics: Sequence[PublicIncident], base_url: str
) -> list[PublicIncidentOut]:
    """Public incidents with their updates, in a fixed number of queries."""
    ids = [p.id for p in publics]
    if not ids:
        return []
    pages = {
        p.id: p
        for p in session.scalars(
            select(StatusPage).where(StatusPage.id.in_(sorted({p.page_id for p in publics})))
        )
    }
    refs = dict(
        session.execute(
            select(Incident.id, Incident.human_id).where(
                Incident.id.in_(sorted({p.incident_id for p in publics if p.incident_id}))
            )
        )
        .tuples()
        .all()
    )
    updates: dict[int, list[PublicUpdateOut]] = defaultdict(list)
    for row in session.scalars(
        select(PublicUpdate)
        .where(PublicUpdate.public_incident_id.in_(ids))
        .order_by(PublicUpdate.public_incident_id, PublicUpdate.id)
    ):
        updates[row.public_incident_id].append(_update(row))
    comps = affected(session, ids)
    return [
        PublicIncidentOut(
            id=p.id,
            page=pages[p.page_id].slug,
            incident_ref=refs.get(p.incident_id) if p.incident_id else None,
            title=p.title,
            status=p.status,
            impact=p.impact,
            components=comps.get(p.id, {}),
            url=url_of(pages[p.page_id], p.id, base_url),
            published_by=p.published_by,
            created_at=p.created_at,
            updated_at=p.updated_at,
            resolved_at=p.resolved_at,
            updates=updates.get(p.id, []),
        )
        for p in publics
    ]


def of_incident(session: Session, incident: Incident) -> list[PublicIncident]:
    return list(
        session.scalars(
            select(PublicIncident)
            .where(PublicIncident.incident_id == incident.id)
            .order_by(PublicIncident.id)
        )
    )


def publication(session: Session, incident: Incident, base_url: str) -> PublicationOut:
    """What is proposed and published for ``incident``."""

    def one(p: Proposal) -> ProposalOut:
        return ProposalOut(
            page=p.page_slug,
            page_name=p.page_name,
            urgency=p.urgency,
            at_once=p.at_once,
            components=[
                FedComponentOut(slug=c.slug, name=c.name, status=c.status) for c in p.components
            ],
        )

    return PublicationOut(
        incident=incident.human_id,
        proposals=[one(p) for p in proposals(session, incident)],
        published=details(session, of_incident(session, incident), base_url),
    )


def visible(session: Session, who: Principal, public: PublicIncident) -> bool:
    """A public incident of a private incident is shown only to who may see that incident."""
    if public.incident_id is None:
        return True
    incident = session.get(Incident, public.incident_id)
    return incident is None or not incident.private or access.may_see(session, who, incident)


def listing(
    session: Session,
    who: Principal,
    *,
    page: StatusPage | None,
    open_only: bool | None,
    base_url: str,
) -> list[PublicIncidentOut]:
    """Public incidents, newest first (at most ``LIST_MAX``), of one page or all."""
    query = select(PublicIncident).order_by(PublicIncident.id.desc()).limit(LIST_MAX)
    if page is not None:
        query = query.where(PublicIncident.page_id == page.id)
    if open_only is True:
        query = query.where(PublicIncident.resolved_at.is_(None))
    elif open_only is False:
        query = query.where(PublicIncident.resolved_at.is_not(None))
    rows = [p for p in session.scalars(query) if visible(session, who, p)]
    return details(session, rows, base_url)
