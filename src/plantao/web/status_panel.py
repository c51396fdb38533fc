"""What the incident page's Status page panel (``incident/status_page.html``) shows: the
proposal to publish (prominent for a Sev1), the publish form with each component the service
feeds, the published public incidents with their updates and the form that posts the next one.

The forms are offered only to who may publish (the Comms Lead, the IC, a manager of the team);
the words they carry are only theirs: the update form may preselect the latest internal status
update's *status*, never copy its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.auth.principal import Principal
from plantao.command.models import StatusUpdate
from plantao.errors import PermissionDenied
from plantao.incidents.models import Incident
from plantao.statuspage import publish_reading, publishing
from plantao.statuspage.models import COMPONENT_STATUSES, PUBLIC_STATUSES, StatusComponent
from plantao.statuspage.proposals import Proposal, is_open
from plantao.statuspage.publish_schemas import PublicIncidentOut

#: What a component is set to by default in the publish form (002: Sev1/2 hurt customers).
DEFAULT_STATUS = {"sev1": "partial_outage", "sev2": "partial_outage"}


@dataclass(frozen=True)
class Published:
    public: PublicIncidentOut
    #: The page's components for the update form: (slug, name, status it has in this one).
    components: list[tuple[str, str, str]]


@dataclass(frozen=True)
class Panel:
    private: bool
    proposals: list[Proposal]
    published: list[Published]
    can_publish: bool
    default_status: str
    #: The latest internal status update's status, when it is a public status word.
    internal_status: str | None
    component_statuses: tuple[str, ...] = COMPONENT_STATUSES
    public_statuses: tuple[str, ...] = PUBLIC_STATUSES

    @property
    def shown(self) -> bool:
        return bool(self.proposals or self.published or self.private)


def _may_publish(session: Session, who: Principal, incident: Incident) -> bool:
    try:
        publishing.require_publisher(session, who, incident)
    except PermissionDenied:
        return False
    return True


def _internal_status(session: Session, incident_id: int) -> str | None:
    status = session.scalar(
        select(StatusUpdate.status)
        .where(StatusUpdate.incident_id == incident_id)
        .order_by(StatusUpdate.id.desc())
        .limit(1)
    )
    return status if status in PUBLIC_STATUSES else None


def panel(
    session: Session, principal: Principal, incident: Incident, base_url: str
) -> dict[str, Any]:
    """``{"sp": Panel}`` for the incident page."""
    rows = publish_reading.of_incident(session, incident)
    details = publish_reading.details(session, rows, base_url)
    published = []
    for row, out in zip(rows, details, strict=True):
        comps = session.scalars(
            select(StatusComponent)
            .where(StatusComponent.page_id == row.page_id)
            .order_by(StatusComponent.position, StatusComponent.id)
        )
        published.append(
            Published(out, [(c.slug, c.name, out.components.get(c.slug, "")) for c in comps])
        )
    return {
        "sp": Panel(
            private=incident.private,
            proposals=publishing.proposals(session, incident),
            published=published,
            can_publish=is_open(incident) and _may_publish(session, principal, incident),
            default_status=DEFAULT_STATUS.get(incident.severity, "degraded_performance"),
            internal_status=_internal_status(session, incident.id),
        )
    }
