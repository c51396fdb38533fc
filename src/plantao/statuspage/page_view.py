"""What a status page shows, as plain data: the one shape the HTML page, the Statuspage-shaped
JSON, the Atom/RSS feeds and the snapshots are rendered from, so they never disagree. Pure: the
gatherer (``statuspage.page_gather``) builds it from the database; renderers only read it.

Everything here is public by construction: a public incident carries the words the Comms Lead
published, never the internal incident's title, labels, notes or runbooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

#: Worst first: a group or the page shows the worst status of its components.
STATUS_ORDER = (
    "major_outage",
    "partial_outage",
    "degraded_performance",
    "under_maintenance",
    "operational",
)


def worst(statuses: list[str] | tuple[str, ...]) -> str:
    """The worst of ``statuses`` (``operational`` when there is none)."""
    return min(statuses, key=STATUS_ORDER.index, default="operational")


@dataclass(frozen=True)
class Link:
    label: str
    url: str  # http/https only (checked where it is configured)


@dataclass(frozen=True)
class Branding:
    logo_url: str | None = None
    brand_color: str = "#0b5cad"
    text_color: str = "#1d2733"
    background_color: str = "#ffffff"
    footer_links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class PageInfo:
    id: int
    slug: str
    name: str
    audience: str  # public | internal
    language: str  # the page's default language (en | pt-BR)
    #: Where the page lives: ``/status`` for ``public``, ``/status/<slug>`` otherwise.
    path: str
    host: str | None
    #: The installation's base URL the page's absolute links use (feeds, e-mails).
    base_url: str
    branding: Branding = field(default_factory=Branding)


@dataclass(frozen=True)
class DayUptime:
    """One day of a component's 90-day bar: the share of the day it was up (1.0 = all day),
    the minutes of each outage level, and the public incidents that touched it."""

    day: date
    uptime: float
    major_minutes: int = 0
    partial_minutes: int = 0
    degraded_minutes: int = 0
    maintenance_minutes: int = 0
    incidents: tuple[int, ...] = ()  # public incident ids


@dataclass(frozen=True)
class ComponentView:
    id: int
    slug: str
    name: str
    description: str
    group: str | None
    position: int
    status: str
    created_at: datetime
    updated_at: datetime
    #: The last 90 days, oldest first (empty until computed).
    uptime_days: tuple[DayUptime, ...] = ()
    #: The share of the last 90 days it was up (None until computed).
    uptime_90d: float | None = None


@dataclass(frozen=True)
class GroupView:
    """Components sharing a ``group``, in position order; ``name`` None: ungrouped ones."""

    name: str | None
    status: str
    components: tuple[ComponentView, ...]


@dataclass(frozen=True)
class UpdateView:
    id: int
    status: str
    body: str
    created_at: datetime
    #: Component statuses set with this update (slug → status).
    components: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IncidentView:
    id: int
    title: str
    status: str
    impact: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    #: Affected components and the status each has while the incident is open (slug → status).
    components: tuple[tuple[str, str], ...]
    #: Newest first, as status pages show them.
    updates: tuple[UpdateView, ...]
    #: Absolute URL of the incident's public page.
    url: str


@dataclass(frozen=True)
class MaintenanceView:
    id: int
    title: str
    body: str
    #: ``scheduled`` (ahead), ``in_progress`` or ``completed``.
    status: str
    scheduled_for: datetime
    scheduled_until: datetime
    components: tuple[str, ...]  # slugs
    created_at: datetime
    updated_at: datetime
    url: str


@dataclass(frozen=True)
class PageView:
    page: PageInfo
    generated_at: datetime
    #: The page's overall status: the worst component status.
    status: str
    #: Statuspage's ``indicator``: none, minor, major, critical or maintenance.
    indicator: str
    groups: tuple[GroupView, ...]
    #: Unresolved public incidents, newest first.
    open_incidents: tuple[IncidentView, ...]
    #: Resolved ones of the history window (the page shows the last days; history pages more).
    resolved_incidents: tuple[IncidentView, ...]
    #: Upcoming and in-progress maintenance, soonest first; completed ones of the window.
    maintenances: tuple[MaintenanceView, ...]

    @property
    def components(self) -> tuple[ComponentView, ...]:
        return tuple(c for g in self.groups for c in g.components)


def indicator_of(status: str, open_impacts: list[str] | tuple[str, ...]) -> str:
    """Statuspage's page indicator: the worst impact of open incidents, else ``maintenance``
    when a component is under maintenance, else from the worst component status."""
    order = ("critical", "major", "minor", "maintenance", "none")
    if open_impacts:
        best = min(open_impacts, key=lambda i: order.index(i) if i in order else len(order))
        if best != "none":
            return best
    return {
        "major_outage": "critical",
        "partial_outage": "major",
        "degraded_performance": "minor",
        "under_maintenance": "maintenance",
    }.get(status, "none")


def impact_of(component_statuses: list[str] | tuple[str, ...]) -> str:
    """A public incident's impact from the statuses it gives its components."""
    return {
        "major_outage": "critical",
        "partial_outage": "major",
        "degraded_performance": "minor",
        "under_maintenance": "maintenance",
    }.get(worst(component_statuses), "none")
