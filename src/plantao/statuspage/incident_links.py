"""The status page link a message about an incident carries (seed 003 §4.3: the first P0
message links the status page): the public incident's page once it is published, else the
page its service feeds, else none."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.statuspage import pages
from plantao.statuspage.models import PublicIncident, StatusComponent, StatusPage


def status_page_urls(
    session: Session, incidents: Sequence[Incident], base_url: str
) -> dict[int, str]:
    """Each incident's status page URL (incidents with none are left out). A private
    incident has none: it never appears on a status page."""
    shown = [i for i in incidents if not i.private]
    if not shown:
        return {}
    base = base_url.rstrip("/")
    page_rows = {p.id: p for p in session.scalars(select(StatusPage))}
    if not page_rows:
        return {}

    def rank(page_id: int) -> tuple[bool, str]:
        return (page_rows[page_id].slug != pages.DEFAULT_SLUG, page_rows[page_id].slug)

    out: dict[int, str] = {}
    published = session.execute(
        select(PublicIncident.incident_id, PublicIncident.page_id, PublicIncident.id)
        .where(PublicIncident.incident_id.in_(sorted({i.id for i in shown})))
        .order_by(PublicIncident.id)
    ).tuples()
    best: dict[int, tuple[int, int]] = {}
    for incident_id, page_id, public_id in published:
        if incident_id is None:
            continue
        if incident_id not in best or rank(page_id) < rank(best[incident_id][0]):
            best[incident_id] = (page_id, public_id)
    for incident_id, (page_id, public_id) in best.items():
        path = pages.path_of(page_rows[page_id].slug)
        out[incident_id] = f"{base}{path}/incidents/{public_id}"
    rest = [i for i in shown if i.id not in out]
    if not rest:
        return out
    slugs = dict(
        session.execute(
            select(Service.id, Service.slug).where(
                Service.id.in_(sorted({i.service_id for i in rest}))
            )
        )
        .tuples()
        .all()
    )
    fed: dict[str, list[int]] = {}
    for component in session.scalars(select(StatusComponent)):
        for service in component.services or []:
            fed.setdefault(service, []).append(component.page_id)
    for incident in rest:
        page_ids = fed.get(slugs.get(incident.service_id, ""), [])
        if page_ids:
            page_id = min(page_ids, key=rank)
            out[incident.id] = f"{base}{pages.path_of(page_rows[page_id].slug)}"
    return out
