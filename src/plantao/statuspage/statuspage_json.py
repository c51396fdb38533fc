"""The page as Atlassian Statuspage's public API v2 answers it (``/api/v2/summary.json`` and
friends), so the widgets, monitors and status aggregators already written against Statuspage
read a Plantão page unchanged. Pure: every function takes the page's
:class:`~plantao.statuspage.page_view.PageView` and returns the JSON document as a dict; the
snapshot step serialises it.

Statuspage's ids are opaque strings; ours are stable strings made from the row ids with a
prefix per kind, so a component, an incident and an update never share an id and a monitor
that remembers one keeps finding it: ``c<id>`` components, ``g-<name>`` groups (a group is a
name shared by components, not a row), ``i<id>`` incidents, ``u<id>`` updates, ``m<id>``
maintenances (their updates ``m<id>-<status>``). The page's id is its slug. Times are ISO 8601
in UTC with an explicit offset, as Statuspage writes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from plantao.statuspage.page_view import (
    ComponentView,
    IncidentView,
    MaintenanceView,
    PageView,
    UpdateView,
)

Json = dict[str, Any]

#: Statuspage's words for each indicator (``status.description``).
DESCRIPTIONS = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major Service Outage",
    "maintenance": "Service Under Maintenance",
}
#: Statuspage's ``incidents.json`` and ``scheduled-maintenances.json`` list at most this many.
LIMIT = 50
#: Maintenance statuses Statuspage counts as happening now (``active.json``).
ACTIVE = ("in_progress", "verifying")
#: Our times are UTC; Statuspage names the page's zone in the tz database's words.
TIME_ZONE = "Etc/UTC"


def when(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds and an offset; naive times (SQLite) are UTC."""
    return None if moment is None else _utc(moment).isoformat(timespec="milliseconds")


def component_id(component: ComponentView) -> str:
    return f"c{component.id}"


def group_id(name: str) -> str:
    """A group's id from its name: stable while the name is, readable in a monitor's config."""
    return "g-" + (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "group")


def page_url(view: PageView) -> str:
    return view.page.base_url.rstrip("/") + view.page.path


def last_changed(view: PageView) -> datetime:
    """When what the page shows last changed: a component, an incident or an update, a
    maintenance announced, started or completed; the render time when the page shows nothing.
    Not the render time itself: the engine re-renders every minute, and a document whose bytes
    change every minute defeats ETags and rewrites every snapshot."""
    moments = [c.updated_at for c in view.components]
    for i in view.open_incidents + view.resolved_incidents:
        moments += [i.updated_at, *(u.created_at for u in i.updates)]
        moments += [i.resolved_at] if i.resolved_at is not None else []
    for m in view.maintenances:
        moments.append(m.updated_at)
        moments += [m.scheduled_for] if m.status != "scheduled" else []
        moments += [m.scheduled_until] if m.status == "completed" else []
    aware = [_utc(t) for t in moments]
    return max(aware) if aware else _utc(view.generated_at)


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).astimezone(UTC)


def page(view: PageView) -> Json:
    return {
        "id": view.page.slug,
        "name": view.page.name,
        "url": page_url(view),
        "time_zone": TIME_ZONE,
        "updated_at": when(last_changed(view)),
    }


def status_of(view: PageView) -> Json:
    indicator = view.indicator if view.indicator in DESCRIPTIONS else "none"
    return {"indicator": indicator, "description": DESCRIPTIONS[indicator]}


def _component(view: PageView, c: ComponentView, position: int, group: str | None) -> Json:
    return {
        "id": component_id(c),
        "name": c.name,
        "status": c.status,
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
        "position": position,
        "description": c.description or None,
        "showcase": True,
        "start_date": c.created_at.date().isoformat(),
        "group_id": group,
        "page_id": view.page.slug,
        "group": False,
        "only_show_if_degraded": False,
    }


def component_list(view: PageView) -> list[Json]:
    """Groups and components in page order; a group is itself a component with
    ``group: true`` and its members' ids, members point back through ``group_id``.
    ``position`` is the 1-based place on the page."""
    out: list[Json] = []
    for g in view.groups:
        if g.name is None:
            out.extend(_component(view, c, len(out) + 1, None) for c in g.components)
            continue
        gid = group_id(g.name)
        out.append(
            {
                "id": gid,
                "name": g.name,
                "status": g.status,
                "created_at": when(min((c.created_at for c in g.components), default=None)),
                "updated_at": when(max((c.updated_at for c in g.components), default=None)),
                "position": len(out) + 1,
                "description": None,
                "showcase": False,
                "start_date": None,
                "group_id": None,
                "page_id": view.page.slug,
                "group": True,
                "only_show_if_degraded": False,
                "components": [component_id(c) for c in g.components],
            }
        )
        out.extend(_component(view, c, len(out) + 1, gid) for c in g.components)
    return out


def _by_slug(view: PageView) -> dict[str, Json]:
    """Component objects by slug (groups excluded), to name what incidents touch."""
    objects = {o["id"]: o for o in component_list(view) if not o["group"]}
    return {c.slug: objects[component_id(c)] for c in view.components}


def _affected(incident: IncidentView, components: dict[str, Json]) -> dict[int, list[Json] | None]:
    """Each update's ``affected_components``: what it changed, from the status the component
    had before it (operational before the first update) to the one it set. Resolving restores
    the incident's components, so a ``resolved`` update that names none lists each component
    it left degraded going back to ``operational``, as Statuspage shows a resolution."""
    before: dict[str, str] = {}
    while_open = dict(incident.components)
    out: dict[int, list[Json] | None] = {}
    for u in sorted(incident.updates, key=lambda u: (u.created_at, u.id)):
        restoring = u.status == "resolved" and not u.components
        changes: list[tuple[str, str]] = list(u.components)
        if restoring:
            touched = dict.fromkeys([*before, *while_open])
            changes = [(slug, "operational") for slug in touched]
        listed: list[Json] = []
        for slug, new in changes:
            old = before.get(
                slug, while_open.get(slug, "operational") if restoring else "operational"
            )
            before[slug] = new
            if restoring and old == new:
                continue
            known = components.get(slug)
            listed.append(
                {
                    "code": known["id"] if known else slug,
                    "name": known["name"] if known else slug,
                    "old_status": old,
                    "new_status": new,
                }
            )
        out[u.id] = listed or None
    return out


def _update(incident_id: str, u: UpdateView, affected: list[Json] | None) -> Json:
    return {
        "id": f"u{u.id}",
        "status": u.status,
        "body": u.body,
        "incident_id": incident_id,
        "created_at": when(u.created_at),
        "updated_at": when(u.created_at),
        "display_at": when(u.created_at),
        "affected_components": affected,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident(view: PageView, i: IncidentView, components: dict[str, Json] | None = None) -> Json:
    components = _by_slug(view) if components is None else components
    iid = f"i{i.id}"
    affected = _affected(i, components)
    updates = sorted(i.updates, key=lambda u: (u.created_at, u.id), reverse=True)
    monitoring = [u.created_at for u in updates if u.status == "monitoring"]
    return {
        "id": iid,
        "name": i.title,
        "status": i.status,
        "created_at": when(i.created_at),
        "updated_at": when(i.updated_at),
        "monitoring_at": when(min(monitoring)) if monitoring else None,
        "resolved_at": when(i.resolved_at),
        "impact": i.impact,
        "shortlink": i.url,
        "started_at": when(i.created_at),
        "page_id": view.page.slug,
        "incident_updates": [_update(iid, u, affected[u.id]) for u in updates],
        "components": [components[slug] for slug, _ in i.components if slug in components],
    }


def _maintenance_updates(m: MaintenanceView, mid: str, affected: list[Json]) -> list[Json]:
    """Statuspage shows a maintenance's life as updates; ours has phases, so each phase it
    reached becomes one (newest first): scheduled when announced, in progress at its start,
    completed at its end."""
    phases = [("scheduled", m.created_at)]
    if m.status in ("in_progress", "verifying", "completed"):
        phases.append(("in_progress", m.scheduled_for))
    if m.status == "completed":
        phases.append(("completed", m.scheduled_until))
    out = []
    for status, at in reversed(phases):
        done = status == "completed"
        out.append(
            {
                "id": f"{mid}-{status}",
                "status": status,
                "body": m.body,
                "incident_id": mid,
                "created_at": when(at),
                "updated_at": when(at),
                "display_at": when(at),
                "affected_components": [
                    {
                        **a,
                        "old_status": "under_maintenance" if done else "operational",
                        "new_status": "operational" if done else "under_maintenance",
                    }
                    for a in affected
                ]
                if status != "scheduled"
                else None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        )
    return out


def maintenance(
    view: PageView, m: MaintenanceView, components: dict[str, Json] | None = None
) -> Json:
    components = _by_slug(view) if components is None else components
    mid = f"m{m.id}"
    touched = [components[slug] for slug in m.components if slug in components]
    affected = [{"code": c["id"], "name": c["name"]} for c in touched]
    return {
        "id": mid,
        "name": m.title,
        "status": m.status,
        "created_at": when(m.created_at),
        "updated_at": when(m.updated_at),
        "monitoring_at": None,
        "resolved_at": when(m.scheduled_until) if m.status == "completed" else None,
        "impact": "maintenance",
        "shortlink": m.url,
        "started_at": when(m.scheduled_for),
        "page_id": view.page.slug,
        "incident_updates": _maintenance_updates(m, mid, affected),
        "components": touched,
        "scheduled_for": when(m.scheduled_for),
        "scheduled_until": when(m.scheduled_until),
    }


def _incidents(view: PageView, chosen: tuple[IncidentView, ...]) -> list[Json]:
    components = _by_slug(view)
    newest = sorted(chosen, key=lambda i: (i.created_at, i.id), reverse=True)
    return [incident(view, i, components) for i in newest[:LIMIT]]


def _maintenances(view: PageView, chosen: list[MaintenanceView], newest_first: bool) -> list[Json]:
    components = _by_slug(view)
    ordered = sorted(chosen, key=lambda m: (m.scheduled_for, m.id), reverse=newest_first)
    return [maintenance(view, m, components) for m in ordered[:LIMIT]]


def summary(view: PageView) -> Json:
    """``/api/v2/summary.json``: status, every component, unresolved incidents, and
    maintenance that is upcoming or in progress (soonest first)."""
    current = [m for m in view.maintenances if m.status != "completed"]
    return {
        "page": page(view),
        "components": component_list(view),
        "incidents": _incidents(view, view.open_incidents),
        "scheduled_maintenances": _maintenances(view, current, newest_first=False),
        "status": status_of(view),
    }


def status(view: PageView) -> Json:
    """``/api/v2/status.json``: the indicator and its words only (what most monitors poll)."""
    return {"page": page(view), "status": status_of(view)}


def components(view: PageView) -> Json:
    """``/api/v2/components.json``."""
    return {"page": page(view), "components": component_list(view)}


def incidents(view: PageView) -> Json:
    """``/api/v2/incidents.json``: the 50 most recent incidents, open and resolved."""
    return {
        "page": page(view),
        "incidents": _incidents(view, view.open_incidents + view.resolved_incidents),
    }


def unresolved(view: PageView) -> Json:
    """``/api/v2/incidents/unresolved.json``: incidents not yet resolved."""
    return {"page": page(view), "incidents": _incidents(view, view.open_incidents)}


def scheduled_maintenances(view: PageView) -> Json:
    """``/api/v2/scheduled-maintenances.json``: the 50 most recent, any status."""
    return {
        "page": page(view),
        "scheduled_maintenances": _maintenances(view, list(view.maintenances), newest_first=True),
    }


def upcoming(view: PageView) -> Json:
    """``/api/v2/scheduled-maintenances/upcoming.json``: announced, not started yet."""
    chosen = [m for m in view.maintenances if m.status == "scheduled"]
    return {"page": page(view), "scheduled_maintenances": _maintenances(view, chosen, False)}


def active(view: PageView) -> Json:
    """``/api/v2/scheduled-maintenances/active.json``: in progress or being verified."""
    chosen = [m for m in view.maintenances if m.status in ACTIVE]
    return {"page": page(view), "scheduled_maintenances": _maintenances(view, chosen, False)}


#: Every document by its path under ``/api/v2/``, for whoever serves or snapshots them.
DOCUMENTS: dict[str, Callable[[PageView], Json]] = {
    "summary.json": summary,
    "status.json": status,
    "components.json": components,
    "incidents.json": incidents,
    "incidents/unresolved.json": unresolved,
    "scheduled-maintenances.json": scheduled_maintenances,
    "scheduled-maintenances/upcoming.json": upcoming,
    "scheduled-maintenances/active.json": active,
}
