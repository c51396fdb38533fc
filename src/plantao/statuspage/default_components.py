"""The ``public`` page's components before anyone declares some: one per service, named like
it and fed by it, so an installation that configured nothing still shows something true.

They follow the services (``plantao apply`` keeps them in step) until a component is declared
for the page, in ``plantao.yaml`` or the web UI; from then on the page's own list rules. The
page remembers that in ``status_pages.components_declared``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.statuspage import components, page_state, pages
from plantao.statuspage.models import StatusComponent, StatusPage


def declared(page: StatusPage) -> bool:
    """True once the page's components were declared (so they no longer follow services)."""
    return bool(page.components_declared)


def mark_declared(page: StatusPage) -> None:
    page.components_declared = True


def follow_services(session: Session) -> list[tuple[str, str, str]]:
    """Make the default page's components one per service (unless declared); returns the
    changes as ``(action, slug, detail)``."""
    page = pages.ensure_default(session)
    if declared(page):
        return []
    services = list(session.scalars(select(Service).order_by(Service.name, Service.slug)))
    current = {c.slug: c for c in components.on_page(session, page.id)}
    changes: list[tuple[str, str, str]] = []
    now = clock.now()
    dirty = False
    for position, service in enumerate(services):
        row = current.pop(service.slug, None)
        wanted = {"name": service.name, "position": position, "services": [service.slug]}
        if row is None:
            session.add(
                StatusComponent(
                    page_id=page.id,
                    slug=service.slug,
                    description="",
                    group_name=None,
                    status="operational",
                    created_at=now,
                    updated_at=now,
                    **wanted,
                )
            )
            changes.append(("create", service.slug, "from its service"))
            continue
        moved = [key for key, value in wanted.items() if getattr(row, key) != value]
        for key in moved:
            setattr(row, key, wanted[key])
        if moved:
            row.updated_at, dirty = now, True
            shown = [key for key in moved if key != "position"]  # follows the names
            if shown:
                changes.append(("update", service.slug, ", ".join(shown)))
    for slug, row in sorted(current.items()):
        session.delete(row)
        changes.append(("delete", slug, "its service is gone"))
    session.flush()
    if changes or dirty:
        components.recompute(session, [page.id])
        page_state.touch(session, [page.id])
    return changes
