"""Hand-built :class:`PageView`s for the renderers' tests: a page with a group and an ungrouped
component, one open incident (two updates), one resolved incident and maintenance in each
phase, at fixed times so outputs can be compared exactly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from plantao.statuspage.page_view import (
    ComponentView,
    GroupView,
    IncidentView,
    MaintenanceView,
    PageInfo,
    PageView,
    UpdateView,
    indicator_of,
    worst,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
BASE = "https://status.example.com"


def component(
    id: int, slug: str, name: str, group: str | None, position: int, status: str = "operational"
) -> ComponentView:
    return ComponentView(
        id=id,
        slug=slug,
        name=name,
        description=f"The {name}" if id % 2 else "",
        group=group,
        position=position,
        status=status,
        created_at=T0 - timedelta(days=30),
        updated_at=T0 + timedelta(minutes=id),
    )


def incident(
    id: int,
    title: str,
    updates: list[tuple[int, str, str, int, tuple[tuple[str, str], ...]]],
    components: tuple[tuple[str, str], ...],
    impact: str,
) -> IncidentView:
    """``updates``: (id, status, body, minutes after T0, components set), in any order."""
    views = tuple(
        sorted(
            (UpdateView(u, s, b, T0 + timedelta(minutes=m), c) for u, s, b, m, c in updates),
            key=lambda u: u.created_at,
            reverse=True,
        )
    )
    resolved = next((u.created_at for u in views if u.status == "resolved"), None)
    return IncidentView(
        id=id,
        title=title,
        status=views[0].status,
        impact=impact,
        created_at=views[-1].created_at,
        updated_at=views[0].created_at,
        resolved_at=resolved,
        components=components,
        updates=views,
        url=f"{BASE}/status/incidents/{id}",
    )


def maintenance(id: int, status: str, starts_in_hours: int) -> MaintenanceView:
    start = T0 + timedelta(hours=starts_in_hours)
    return MaintenanceView(
        id=id,
        title=f"Database upgrade {id}",
        body="Writes pause for a few minutes.",
        status=status,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=("db",),
        created_at=T0 - timedelta(days=3),
        updated_at=T0 - timedelta(days=3),
        url=f"{BASE}/status/maintenance/{id}",
    )


def sample(language: str = "en") -> PageView:
    """API (degraded by an open incident) and Web in group "Core"; Database ungrouped and
    under maintenance."""
    api = component(1, "api", "API", "Core", 1, "partial_outage")
    web = component(2, "web", "Web", "Core", 2)
    db = component(3, "db", "Database", None, 3, "under_maintenance")
    open_one = incident(
        7,
        "Slow checkout",
        [
            (
                11,
                "investigating",
                "We are looking into slow payments.",
                10,
                (("api", "degraded_performance"),),
            ),
            (12, "identified", "A bad deploy; rolling back.", 20, (("api", "partial_outage"),)),
        ],
        (("api", "partial_outage"),),
        "major",
    )
    resolved_one = incident(
        5,
        "Login errors",
        [
            (8, "investigating", "Some logins fail.", -120, (("web", "major_outage"),)),
            (9, "monitoring", "Fixed, watching.", -90, ()),
            (10, "resolved", "All good.", -60, (("web", "operational"),)),
        ],
        (("web", "major_outage"),),
        "critical",
    )
    groups = (
        GroupView("Core", worst([api.status, web.status]), (api, web)),
        GroupView(None, db.status, (db,)),
    )
    status = worst([api.status, web.status, db.status])
    return PageView(
        page=PageInfo(
            id=1,
            slug="public",
            name="Acme Status",
            audience="public",
            language=language,
            path="/status",
            host=None,
            base_url=BASE,
        ),
        generated_at=T0 + timedelta(minutes=30),
        status=status,
        indicator=indicator_of(status, [open_one.impact]),
        groups=groups,
        open_incidents=(open_one,),
        resolved_incidents=(resolved_one,),
        maintenances=(
            maintenance(1, "in_progress", -0),
            maintenance(2, "scheduled", 48),
            maintenance(3, "completed", -72),
        ),
    )


def quiet(language: str = "en") -> PageView:
    """The sample page with everything operational and nothing open."""
    view = sample(language)
    groups = tuple(
        replace(
            g,
            status="operational",
            components=tuple(replace(c, status="operational") for c in g.components),
        )
        for g in view.groups
    )
    return replace(
        view,
        status="operational",
        indicator="none",
        groups=groups,
        open_incidents=(),
        maintenances=(),
    )
