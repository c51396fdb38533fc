"""Which status pages an incident should be published on, and how urgently (seed 002's
severity matrix: "Sev1: Status Page público", "Sev2: Status Page se afetar clientes").

An incident proposes a public incident on every page holding a component its service feeds,
while it is open, not private, not yet published there and not dismissed there by a person.
A page nobody needs to decide about (no component fed by the service) proposes nothing, and
the setup checklist's "status page decided" item counts as answered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, TimelineEntry
from plantao.statuspage import components as status_components
from plantao.statuspage.models import (
    ProposalDismissal,
    PublicIncident,
    StatusComponent,
    StatusPage,
)

#: Timeline kinds that record a decision about the status page (the checklist reads them).
PUBLISHED = "status_page.published"
UPDATED = "status_page.updated"
DISMISSED = "status_page.dismissed"
PROMPTED = "status_page.prompted"
DECIDING_KINDS = (PUBLISHED, DISMISSED)

#: How urgently 002 asks: Sev1 at once; Sev2 if customers are affected; others optionally.
AT_ONCE = "at_once"
IF_CUSTOMERS_AFFECTED = "if_customers_affected"
OPTIONAL = "optional"
OPEN_STATUSES = (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED)


@dataclass(frozen=True)
class FedComponent:
    slug: str
    name: str
    status: str


@dataclass(frozen=True)
class Proposal:
    """Publish ``incident`` on ``page``: these components are fed by its service."""

    page_id: int
    page_slug: str
    page_name: str
    components: tuple[FedComponent, ...]
    urgency: str

    @property
    def at_once(self) -> bool:
        return self.urgency == AT_ONCE


def urgency_of(severity: str) -> str:
    return {"sev1": AT_ONCE, "sev2": IF_CUSTOMERS_AFFECTED}.get(severity, OPTIONAL)


def fed_pages(session: Session, incident: Incident) -> dict[int, list[StatusComponent]]:
    """The components the incident's service feeds, by page."""
    out: dict[int, list[StatusComponent]] = defaultdict(list)
    for component in status_components.feeding(session, incident.service_id):
        out[component.page_id].append(component)
    return dict(out)


def is_open(incident: Incident) -> bool:
    return incident.status in OPEN_STATUSES


def proposals(session: Session, incident: Incident) -> list[Proposal]:
    """Pages the incident should be published on, public page first (see the docstring)."""
    if incident.private or not is_open(incident):
        return []
    fed = fed_pages(session, incident)
    if not fed:
        return []
    published = set(
        session.scalars(
            select(PublicIncident.page_id).where(PublicIncident.incident_id == incident.id)
        )
    )
    dismissed = set(
        session.scalars(
            select(ProposalDismissal.page_id).where(ProposalDismissal.incident_id == incident.id)
        )
    )
    wanted = sorted(set(fed) - published - dismissed)
    if not wanted:
        return []
    pages = session.scalars(select(StatusPage).where(StatusPage.id.in_(wanted))).all()
    urgency = urgency_of(incident.severity)
    out = [
        Proposal(
            page.id,
            page.slug,
            page.name,
            tuple(FedComponent(c.slug, c.name, c.status) for c in fed[page.id]),
            urgency,
        )
        for page in pages
    ]
    return sorted(out, key=lambda p: (p.page_slug != "public", p.page_slug))


def decided(session: Session, incident: Incident) -> bool:
    """The setup checklist's "status page decided": published or dismissed somewhere (a
    timeline entry says so), or no page is fed by the incident's service."""
    if not fed_pages(session, incident):
        return True
    return (
        session.scalar(
            select(TimelineEntry.id)
            .where(
                TimelineEntry.incident_id == incident.id,
                TimelineEntry.kind.in_(DECIDING_KINDS),
            )
            .limit(1)
        )
        is not None
    )
