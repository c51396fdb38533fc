"""Component statuses and lookups shared by publishing, maintenance and the admin screens.

A component's shown status is never set by hand: it is derived from what is open now (public
incidents that are not hidden behind a private incident, maintenance windows in progress), so
every writer calls :func:`recompute` after its change and the page cannot drift from its
sources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.errors import NotFound
from plantao.incidents.models import Incident
from plantao.statuspage import maintenance, page_state
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    StatusComponent,
)
from plantao.statuspage.page_view import worst


def _incident_statuses(session: Session, page_ids: list[int]) -> dict[int, list[str]]:
    """Statuses given to components by open public incidents whose incident is not private
    (a private incident must not show, even through a component's colour)."""
    rows = session.execute(
        select(PublicIncidentComponent.component_id, PublicIncidentComponent.status)
        .join(PublicIncident, PublicIncident.id == PublicIncidentComponent.public_incident_id)
        .outerjoin(Incident, Incident.id == PublicIncident.incident_id)
        .where(
            PublicIncident.page_id.in_(page_ids),
            PublicIncident.resolved_at.is_(None),
            or_(Incident.id.is_(None), Incident.private.is_(False)),
        )
    ).all()
    found: dict[int, list[str]] = defaultdict(list)
    for component_id, status in rows:
        found[component_id].append(status)
    return found


def _maintained_slugs(session: Session, page_ids: list[int]) -> dict[int, set[str]]:
    """Component slugs, per page, under a public maintenance window in progress now — one-off
    windows, recurring windows' current occurrence, and not those ended early
    (``statuspage.maintenance.under_maintenance``)."""
    now = clock.now()
    return {page_id: maintenance.under_maintenance(session, page_id, now) for page_id in page_ids}


def recompute(session: Session, page_ids: Iterable[int]) -> None:
    """Set each component of ``page_ids`` to the worst status open incidents and maintenance
    give it (``operational`` otherwise); touch the pages whose components changed."""
    ids = sorted(set(page_ids))
    if not ids:
        return
    incident = _incident_statuses(session, ids)
    maintained = _maintained_slugs(session, ids)
    changed: set[int] = set()
    now = clock.now()
    components = session.scalars(select(StatusComponent).where(StatusComponent.page_id.in_(ids)))
    for component in components:
        given = list(incident.get(component.id, []))
        if component.slug in maintained.get(component.page_id, set()):
            given.append("under_maintenance")
        status = worst(given)
        if status != component.status:
            component.status = status
            component.updated_at = now
            changed.add(component.page_id)
    session.flush()
    page_state.touch(session, changed)


def feeding(session: Session, service_id: int) -> list[StatusComponent]:
    """Components, on any page, that list the service among the ones feeding them."""
    slug = session.scalar(select(Service.slug).where(Service.id == service_id))
    if slug is None:
        return []
    components = session.scalars(
        select(StatusComponent).order_by(StatusComponent.page_id, StatusComponent.position)
    )
    return [c for c in components if slug in (c.services or [])]


def on_page(session: Session, page_id: int) -> list[StatusComponent]:
    """The page's components in display order."""
    return list(
        session.scalars(
            select(StatusComponent)
            .where(StatusComponent.page_id == page_id)
            .order_by(StatusComponent.position, StatusComponent.id)
        )
    )


def resolve(session: Session, page_id: int, ref: str) -> StatusComponent:
    """The page's component named by ``ref``: its slug, or its name in any case."""
    wanted = ref.strip()
    components = on_page(session, page_id)
    for component in components:
        if component.slug == wanted:
            return component
    for component in components:
        if component.name.casefold() == wanted.casefold():
            return component
    known = ", ".join(c.slug for c in components) or "none"
    raise NotFound(f"No component {wanted!r} on this page (its components: {known})")
