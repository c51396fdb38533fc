"""Applying ``status_pages:`` of ``plantao.yaml``: pages, branding and components.

A file without ``status_pages`` leaves the pages alone. One with it declares the whole set:
pages missing from it are deleted, except ``public`` (the page at ``/status`` always exists;
left out, it stays as it is) and any page that has public incidents (its history would go with
it: the apply is refused). A page's ``components``, when given, replace the page's list,
including edits made in the web UI. The ``public`` page's default components (one per service)
are kept in step with the services on every apply until components are declared for it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.configfile.common import Change
from plantao.configfile.schema import ConfigFile
from plantao.configfile.status_schema import ComponentSpec, StatusPageSpec
from plantao.errors import Conflict, ValidationFailed
from plantao.statuspage import components, default_components, page_state
from plantao.statuspage.models import PublicIncident, StatusComponent, StatusPage
from plantao.statuspage.pages import DEFAULT_SLUG

__all__ = ["apply_status_pages", "follow_services"]


def follow_services(session: Session) -> list[Change]:
    """The default page's per-service components, in step with the services."""
    return [
        Change("status component", action, f"{DEFAULT_SLUG}/{slug}", detail)
        for action, slug, detail in default_components.follow_services(session)
    ]


def _problems(
    session: Session, specs: list[StatusPageSpec], stored: dict[str, StatusPage]
) -> list[str]:
    """References the file cannot check alone: services stored but not in the file, and a
    host still held by the ``public`` page when the file leaves it out."""
    services = set(session.scalars(select(Service.slug)))
    problems: list[str] = []
    for index, spec in enumerate(specs):
        for c_index, component in enumerate(spec.components or []):
            for s_index, service in enumerate(component.services):
                if service not in services:
                    problems.append(
                        f"status_pages[{index}].components[{c_index}].services[{s_index}]: "
                        f"unknown service '{service}'"
                    )
    kept = stored.get(DEFAULT_SLUG)
    if kept is not None and kept.host and DEFAULT_SLUG not in {s.slug for s in specs}:
        for index, spec in enumerate(specs):
            if spec.host == kept.host:
                problems.append(
                    f"status_pages[{index}].host: '{spec.host}' is the host of page 'public'"
                )
    return problems


def _refuse_history_loss(session: Session, gone: list[StatusPage]) -> None:
    for page in gone:
        count = session.scalar(
            select(func.count())
            .select_from(PublicIncident)
            .where(PublicIncident.page_id == page.id)
        )
        if count:
            raise Conflict(
                f"cannot remove status page '{page.slug}': it has {count} public incident(s) "
                "whose history would be lost; keep it in the file"
            )


def _page_values(spec: StatusPageSpec, row: StatusPage | None) -> dict[str, Any]:
    branding = spec.branding.stored()
    return {
        "name": spec.name,
        "audience": spec.audience,
        "host": spec.host,
        "language": spec.language,
        "branding": branding,
    }


def _ordered(specs: list[ComponentSpec]) -> list[ComponentSpec]:
    """The display order: ``order`` first, the list's order for ties and absent ones."""
    indexed = list(enumerate(specs))
    return [
        spec
        for _, spec in sorted(
            indexed, key=lambda p: (p[1].order if p[1].order is not None else p[0], p[0])
        )
    ]


def _replace_components(
    session: Session, page: StatusPage, specs: list[ComponentSpec]
) -> list[Change]:
    current = {c.slug: c for c in components.on_page(session, page.id)}
    changes: list[Change] = []
    now = clock.now()
    for position, spec in enumerate(_ordered(specs)):
        name = f"{page.slug}/{spec.slug}"
        wanted: dict[str, Any] = {
            "name": spec.name,
            "description": spec.description,
            "group_name": spec.group,
            "position": position,
            "services": list(spec.services),
        }
        row = current.pop(spec.slug, None)
        if row is None:
            session.add(
                StatusComponent(
                    page_id=page.id,
                    slug=spec.slug,
                    status="operational",
                    created_at=now,
                    updated_at=now,
                    **wanted,
                )
            )
            changes.append(Change("status component", "create", name))
            continue
        moved = [key for key, value in wanted.items() if getattr(row, key) != value]
        for key in moved:
            setattr(row, key, wanted[key])
        if moved:
            row.updated_at = now
            label = ", ".join(
                "group" if k == "group_name" else "order" if k == "position" else k for k in moved
            )
            changes.append(Change("status component", "update", name, label))
    for slug, row in sorted(current.items()):
        session.delete(row)
        changes.append(Change("status component", "delete", f"{page.slug}/{slug}"))
    return changes


def apply_status_pages(session: Session, config: ConfigFile) -> list[Change]:
    """Make the stored pages what the file declares; run after services exist."""
    if config.status_pages is None:
        return follow_services(session)
    specs = config.status_pages
    stored = {p.slug: p for p in session.scalars(select(StatusPage))}
    problems = _problems(session, specs, stored)
    if problems:
        raise ValidationFailed("\n".join(problems))
    declared = {spec.slug for spec in specs}
    gone = [
        page
        for slug, page in sorted(stored.items())
        if slug not in declared and slug != DEFAULT_SLUG
    ]
    _refuse_history_loss(session, gone)
    changes: list[Change] = []
    for page in gone:
        session.delete(page)
        changes.append(Change("status page", "delete", page.slug))
    session.flush()
    changed: set[int] = set()
    now = clock.now()
    for spec in specs:
        row = stored.get(spec.slug)
        values = _page_values(spec, row)
        if row is None:
            row = StatusPage(slug=spec.slug, updated_at=now, **values)
            session.add(row)
            session.flush()
            changes.append(Change("status page", "create", spec.slug))
            changed.add(row.id)
        else:
            moved = [key for key, value in values.items() if getattr(row, key) != value]
            for key in moved:
                setattr(row, key, values[key])
            if moved:
                row.updated_at = now
                changes.append(Change("status page", "update", spec.slug, ", ".join(moved)))
                changed.add(row.id)
        if spec.components is not None:
            default_components.mark_declared(row)
            replaced = _replace_components(session, row, spec.components)
            if replaced:
                changes.extend(replaced)
                changed.add(row.id)
    session.flush()
    components.recompute(session, changed)
    page_state.touch(session, changed)
    return changes + follow_services(session)
