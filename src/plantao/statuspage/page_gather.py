"""Building a page's :class:`~plantao.statuspage.page_view.PageView` from the database.

Every renderer (HTML, JSON, feeds, snapshots) reads the view, so this is the one place that
decides what the public sees: public incidents whose internal incident is private are left out
(even their existence would leak), and only the words the Comms Lead published are read.

A view costs a fixed number of queries whatever the page holds (components, incidents, their
components, their updates, plus maintenance and uptime), because the engine renders every page
at least once a minute and on every change.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from plantao.config import get_settings
from plantao.incidents.models import Incident
from plantao.statuspage import maintenance, pages, uptime_gather
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
)
from plantao.statuspage.page_view import (
    Branding,
    ComponentView,
    GroupView,
    IncidentView,
    Link,
    PageInfo,
    PageView,
    UpdateView,
    indicator_of,
    worst,
)

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
#: Resolved incidents the page itself shows; the history pages show the rest.
RECENT_DAYS = 14
#: Resolved incidents per history page.
HISTORY_PER_PAGE = 20


def page_info(page: StatusPage, base_url: str | None = None) -> PageInfo:
    base = (base_url or get_settings().base_url).rstrip("/")
    return PageInfo(
        id=page.id,
        slug=page.slug,
        name=page.name,
        audience=page.audience,
        language=page.language if page.language in ("en", "pt-BR") else "en",
        path=pages.path_of(page.slug),
        host=page.host,
        base_url=base,
        branding=branding_of(page.branding or {}),
    )


def branding_of(raw: dict[str, Any]) -> Branding:
    """The page's branding from its JSON (checked where it is configured; unknown keys and
    values of the wrong type fall back to the defaults rather than break the page)."""
    raw_colors = raw.get("colors")
    colors: dict[str, Any] = raw_colors if isinstance(raw_colors, dict) else {}
    default = Branding()
    links = tuple(
        Link(str(item["label"]), str(item["url"]))
        for item in raw.get("footer_links") or ()
        if isinstance(item, dict)
        and isinstance(item.get("label"), str)
        and isinstance(item.get("url"), str)
        and item["url"].startswith(("http://", "https://"))
    )
    logo = raw.get("logo_url")
    web = isinstance(logo, str) and logo.startswith(("http://", "https://"))
    return Branding(
        logo_url=str(logo) if web else None,
        brand_color=_color(colors.get("brand"), default.brand_color),
        text_color=_color(colors.get("text"), default.text_color),
        background_color=_color(colors.get("background"), default.background_color),
        footer_links=links,
    )


def _color(value: object, default: str) -> str:
    """A ``#rgb``/``#rrggbb`` colour, else ``default``: it is written into the page's CSS."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else default


def _visible() -> ColumnElement[bool]:
    """A public incident shows unless its internal incident is private."""
    return or_(Incident.id.is_(None), Incident.private.is_(False))


def _components(session: Session, page: StatusPage) -> list[StatusComponent]:
    return list(
        session.scalars(
            select(StatusComponent)
            .where(StatusComponent.page_id == page.id)
            .order_by(StatusComponent.position, StatusComponent.id)
        )
    )


def _groups(components: list[ComponentView]) -> tuple[GroupView, ...]:
    """Groups in the order of the smallest position in each; components by position."""
    grouped: dict[str | None, list[ComponentView]] = defaultdict(list)
    for component in components:
        grouped[component.group].append(component)
    ordered = sorted(grouped.items(), key=lambda kv: min((c.position, c.id) for c in kv[1]))
    return tuple(
        GroupView(name, worst([c.status for c in members]), tuple(members))
        for name, members in ordered
    )


def incident_views(
    session: Session, info: PageInfo, rows: list[PublicIncident]
) -> list[IncidentView]:
    """Views of ``rows`` (in their order) with their components and updates: two queries."""
    ids = [r.id for r in rows]
    affected: dict[int, list[tuple[str, str]]] = defaultdict(list)
    updates: dict[int, list[UpdateView]] = defaultdict(list)
    if ids:
        for incident_id, slug, status in session.execute(
            select(
                PublicIncidentComponent.public_incident_id,
                StatusComponent.slug,
                PublicIncidentComponent.status,
            )
            .join(StatusComponent, StatusComponent.id == PublicIncidentComponent.component_id)
            .where(PublicIncidentComponent.public_incident_id.in_(ids))
            .order_by(StatusComponent.position, StatusComponent.id)
        ):
            affected[incident_id].append((slug, status))
        for update in session.scalars(
            select(PublicUpdate)
            .where(PublicUpdate.public_incident_id.in_(ids))
            .order_by(PublicUpdate.created_at.desc(), PublicUpdate.id.desc())
        ):
            set_to = tuple(sorted((str(k), str(v)) for k, v in (update.components or {}).items()))
            updates[update.public_incident_id].append(
                UpdateView(update.id, update.status, update.body, update.created_at, set_to)
            )
    return [
        IncidentView(
            id=row.id,
            title=row.title,
            status=row.status,
            impact=row.impact,
            created_at=row.created_at,
            updated_at=row.updated_at,
            resolved_at=row.resolved_at,
            components=tuple(affected[row.id]),
            updates=tuple(updates[row.id]),
            url=f"{info.base_url}{info.path}/incidents/{row.id}",
        )
        for row in rows
    ]


def view(session: Session, page: StatusPage, now: datetime) -> PageView:
    """What ``page`` shows at ``now``: components in groups, open incidents, the resolved ones
    of the last :data:`RECENT_DAYS` days, maintenance and the 90-day uptime bars."""
    info = page_info(page)
    rows = list(
        session.scalars(
            select(PublicIncident)
            .outerjoin(Incident, Incident.id == PublicIncident.incident_id)
            .where(
                PublicIncident.page_id == page.id,
                _visible(),
                or_(
                    PublicIncident.resolved_at.is_(None),
                    PublicIncident.resolved_at >= now - timedelta(days=RECENT_DAYS),
                ),
            )
            .order_by(PublicIncident.created_at.desc(), PublicIncident.id.desc())
        )
    )
    incidents = incident_views(session, info, rows)
    open_ones = tuple(i for i in incidents if i.resolved_at is None)
    resolved = tuple(
        sorted(
            (i for i in incidents if i.resolved_at is not None),
            key=lambda i: (i.resolved_at, i.id),
            reverse=True,
        )
    )
    bars = uptime_gather.bars(session, page, now)
    components = [
        ComponentView(
            id=c.id,
            slug=c.slug,
            name=c.name,
            description=c.description,
            group=c.group_name,
            position=c.position,
            status=c.status,
            created_at=c.created_at,
            updated_at=c.updated_at,
            uptime_days=bars[c.id][0] if c.id in bars else (),
            uptime_90d=bars[c.id][1] if c.id in bars else None,
        )
        for c in _components(session, page)
    ]
    status = worst([c.status for c in components])
    return PageView(
        page=info,
        generated_at=now,
        status=status,
        indicator=indicator_of(status, [i.impact for i in open_ones]),
        groups=_groups(components),
        open_incidents=open_ones,
        resolved_incidents=resolved,
        maintenances=tuple(maintenance.views(session, page, now)),
    )


def history(
    session: Session, page: StatusPage, number: int, per_page: int = HISTORY_PER_PAGE
) -> tuple[list[IncidentView], int]:
    """Resolved public incidents, newest resolution first, page ``number`` (from 1), and how
    many history pages there are."""
    info = page_info(page)
    where = and_(
        PublicIncident.page_id == page.id,
        PublicIncident.resolved_at.is_not(None),
        _visible(),
    )
    total = session.scalar(
        select(func.count())
        .select_from(PublicIncident)
        .outerjoin(Incident, Incident.id == PublicIncident.incident_id)
        .where(where)
    )
    rows = list(
        session.scalars(
            select(PublicIncident)
            .outerjoin(Incident, Incident.id == PublicIncident.incident_id)
            .where(where)
            .order_by(PublicIncident.resolved_at.desc(), PublicIncident.id.desc())
            .offset((max(number, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    pages_count = max(1, -(-int(total or 0) // per_page))
    return incident_views(session, info, rows), pages_count


def incident(session: Session, page: StatusPage, public_id: int) -> IncidentView | None:
    """One public incident of ``page`` with every update; None when it is not shown there."""
    row = session.scalar(
        select(PublicIncident)
        .outerjoin(Incident, Incident.id == PublicIncident.incident_id)
        .where(PublicIncident.id == public_id, PublicIncident.page_id == page.id, _visible())
    )
    return incident_views(session, page_info(page), [row])[0] if row is not None else None
