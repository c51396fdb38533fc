"""The status history of a page's components, read from what was published, for the 90-day
bars (``statuspage.uptime`` counts the minutes).

Only public facts count: a public incident gives each affected component the status it was
published with (its first update's, else the one recorded on the incident) from its publication;
each later update that names the component changes it from then on; the incident's resolution
ends them all. A maintenance window shown on the page puts its components under maintenance
for each of its spans. Five queries per page, whatever its history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from plantao.incidents.models import Incident
from plantao.statuspage import maintenance, uptime
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
)
from plantao.statuspage.page_view import DayUptime

Bars = dict[int, tuple[tuple[DayUptime, ...], float]]


def _incident_intervals(
    session: Session, page_id: int, slug_of: dict[int, str], since: datetime
) -> dict[str, list[uptime.Interval]]:
    incidents = {
        i.id: i
        for i in session.scalars(
            select(PublicIncident)
            .outerjoin(Incident, Incident.id == PublicIncident.incident_id)
            .where(
                PublicIncident.page_id == page_id,
                # A private incident never shows, not even as a dip in a bar.
                or_(Incident.id.is_(None), Incident.private.is_(False)),
                or_(PublicIncident.resolved_at.is_(None), PublicIncident.resolved_at >= since),
            )
        )
    }
    if not incidents:
        return {}
    recorded: dict[int, dict[str, str]] = defaultdict(dict)
    for link in session.scalars(
        select(PublicIncidentComponent).where(
            PublicIncidentComponent.public_incident_id.in_(sorted(incidents))
        )
    ):
        if link.component_id in slug_of:
            recorded[link.public_incident_id][slug_of[link.component_id]] = link.status
    updates: dict[int, list[PublicUpdate]] = defaultdict(list)
    for update in session.scalars(
        select(PublicUpdate)
        .where(PublicUpdate.public_incident_id.in_(sorted(incidents)))
        .order_by(PublicUpdate.created_at, PublicUpdate.id)
    ):
        updates[update.public_incident_id].append(update)
    known = set(slug_of.values())
    out: dict[str, list[uptime.Interval]] = defaultdict(list)
    for incident_id, incident in incidents.items():
        # Each component's (since, status) steps, the first from the publication.
        steps: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
        for slug, status in recorded.get(incident_id, {}).items():
            steps[slug].append((incident.created_at, status))
        for index, update in enumerate(updates.get(incident_id, [])):
            for slug, status in (update.components or {}).items():
                if slug not in known or not isinstance(status, str):
                    continue
                at = incident.created_at if index == 0 else update.created_at
                steps[slug] = [s for s in steps[slug] if s[0] < at] + [(at, status)]
        for slug, changes in steps.items():
            for (start, status), following in zip(changes, [*changes[1:], (None, "")], strict=True):
                end = following[0] if following[0] is not None else incident.resolved_at
                out[slug].append(uptime.Interval(start, end, status, incident_id))
    return out


def _maintenance_intervals(
    session: Session, page_id: int, since: datetime, now: datetime
) -> dict[str, list[uptime.Interval]]:
    out: dict[str, list[uptime.Interval]] = defaultdict(list)
    for row, silence in maintenance.shown_windows(session, page_id):
        for start, end in maintenance.window_spans(silence, since, now):
            for slug in row.components:
                out[slug].append(uptime.Interval(start, end, "under_maintenance"))
    return out


def bars(session: Session, page: StatusPage, now: datetime) -> Bars:
    """Each component's last 90 days (oldest first) and its 90-day uptime share, by id."""
    since = uptime.window_start(now)
    components = list(
        session.scalars(select(StatusComponent).where(StatusComponent.page_id == page.id))
    )
    slug_of = {c.id: c.slug for c in components}
    history = _incident_intervals(session, page.id, slug_of, since)
    planned = _maintenance_intervals(session, page.id, since, now)
    return {
        c.id: uptime.bars([*history.get(c.slug, []), *planned.get(c.slug, [])], now, c.created_at)
        for c in components
    }
