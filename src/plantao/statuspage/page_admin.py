"""Managing status pages from the API and the web UI: a page's name and branding, and its
components (add, edit, delete, reorder). They are the same rows ``plantao apply`` declares:
the next apply of a file that declares a page's components overwrites what was edited here.

Any change here to a page's components makes the page "declared": its components stop
following the services (see :mod:`plantao.statuspage.default_components`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.people import audit
from plantao.people.actor import AuditActor
from plantao.statuspage import components, default_components, page_rules, page_state, pages
from plantao.statuspage.models import StatusComponent, StatusPage


@dataclass(frozen=True)
class ComponentFields:
    """What a person sets on a component (its status is derived, never set)."""

    slug: str
    name: str
    description: str = ""
    group: str | None = None
    services: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BrandingFields:
    name: str
    logo_url: str | None = None
    colors: dict[str, str] = field(default_factory=dict)
    footer_links: list[tuple[str, str]] = field(default_factory=list)


def list_pages(session: Session) -> list[StatusPage]:
    """Every page, the default one first (it is created when missing)."""
    pages.ensure_default(session)
    rows = list(session.scalars(select(StatusPage).order_by(StatusPage.slug)))
    return sorted(rows, key=lambda p: p.slug != pages.DEFAULT_SLUG)


def get_page(session: Session, slug: str) -> StatusPage:
    if slug == pages.DEFAULT_SLUG:
        return pages.ensure_default(session)
    page = pages.by_slug(session, slug) if page_rules.SLUG.match(slug) else None
    if page is None:
        raise NotFound(f"No status page '{slug}'")
    return page


def _shown(component: StatusComponent) -> dict[str, Any]:
    return {
        "slug": component.slug,
        "name": component.name,
        "group": component.group_name,
        "services": list(component.services),
        "position": component.position,
    }


def _unstorable(texts: dict[str, str]) -> list[str]:
    return [
        f"{key}: holds a character that cannot be stored"
        for key, value in texts.items()
        if not page_rules.storable(value)
    ]


def _checked(session: Session, fields: ComponentFields) -> ComponentFields:
    problems = _unstorable(
        {
            "slug": fields.slug,
            "name": fields.name,
            "description": fields.description,
            "group": fields.group or "",
            "services": ",".join(fields.services),
        }
    )
    if problems:
        raise ValidationFailed("; ".join(problems), errors=[{"detail": p} for p in problems])
    try:
        page_rules.component_slug(fields.slug.strip())
    except ValueError as exc:
        problems.append(f"slug: {exc}")
    name = fields.name.strip()
    if not name or len(name) > 200:
        problems.append("name: must be 1 to 200 characters")
    if len(fields.description) > 2000:
        problems.append("description: at most 2000 characters")
    group = (fields.group or "").strip() or None
    if group is not None and len(group) > 200:
        problems.append("group: at most 200 characters")
    known = set(session.scalars(select(Service.slug)))
    services: list[str] = []
    for index, slug in enumerate(fields.services):
        wanted = slug.strip()
        if wanted not in known:
            problems.append(f"services[{index}]: unknown service '{wanted}'")
        elif wanted not in services:
            services.append(wanted)
    if problems:
        raise ValidationFailed("; ".join(problems), errors=[{"detail": p} for p in problems])
    return ComponentFields(fields.slug.strip(), name, fields.description.strip(), group, services)


def _changed(session: Session, page: StatusPage) -> None:
    """The page's components are its own from now on, and it must be rendered again."""
    default_components.mark_declared(page)
    page.updated_at = clock.now()
    session.flush()
    components.recompute(session, [page.id])
    page_state.touch(session, [page.id])


def _renumber(rows: list[StatusComponent]) -> None:
    for position, row in enumerate(rows):
        row.position = position


def create_component(
    session: Session, page: StatusPage, fields: ComponentFields, *, actor: AuditActor
) -> StatusComponent:
    """Add a component at the end of the page."""
    checked = _checked(session, fields)
    existing = components.on_page(session, page.id)
    if any(c.slug == checked.slug for c in existing):
        raise Conflict(f"Page '{page.slug}' already has a component '{checked.slug}'")
    now = clock.now()
    row = StatusComponent(
        page_id=page.id,
        slug=checked.slug,
        name=checked.name,
        description=checked.description,
        group_name=checked.group,
        position=len(existing),
        services=checked.services,
        status="operational",
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _renumber([*existing, row])
    _changed(session, page)
    target = f"{page.slug}/{row.slug}"
    audit.record(
        session, actor, "status_component.create", "status_component", target, after=_shown(row)
    )
    return row


def update_component(
    session: Session,
    page: StatusPage,
    component: StatusComponent,
    fields: ComponentFields,
    *,
    actor: AuditActor,
) -> StatusComponent:
    """Change a component's slug, name, description, group or services."""
    checked = _checked(session, fields)
    if checked.slug != component.slug and any(
        c.slug == checked.slug for c in components.on_page(session, page.id)
    ):
        raise Conflict(f"Page '{page.slug}' already has a component '{checked.slug}'")
    before = _shown(component)
    component.slug, component.name = checked.slug, checked.name
    component.description, component.group_name = checked.description, checked.group
    component.services = checked.services
    component.updated_at = clock.now()
    _changed(session, page)
    after = _shown(component)
    if after != before:
        target = f"{page.slug}/{component.slug}"
        audit.record(
            session,
            actor,
            "status_component.update",
            "status_component",
            target,
            before=before,
            after=after,
        )
    return component


def move_component(
    session: Session, page: StatusPage, component: StatusComponent, index: int, *, actor: AuditActor
) -> None:
    """Put the component at ``index`` in the page's order (clamped to the list)."""
    rows = [c for c in components.on_page(session, page.id) if c.id != component.id]
    index = max(0, min(index, len(rows)))
    before = component.position
    rows.insert(index, component)
    _renumber(rows)
    _changed(session, page)
    if component.position != before:
        target = f"{page.slug}/{component.slug}"
        audit.record(
            session,
            actor,
            "status_component.move",
            "status_component",
            target,
            before={"position": before},
            after={"position": component.position},
        )


def delete_component(
    session: Session, page: StatusPage, component: StatusComponent, *, actor: AuditActor
) -> None:
    """Remove a component (public incidents keep their text; the link to it goes)."""
    before = _shown(component)
    session.delete(component)
    session.flush()
    _renumber(components.on_page(session, page.id))
    _changed(session, page)
    target = f"{page.slug}/{before['slug']}"
    audit.record(
        session, actor, "status_component.delete", "status_component", target, before=before
    )


def branding_of(page: StatusPage) -> BrandingFields:
    """The page's name and branding as the forms show them."""
    raw = page.branding or {}
    colors = raw.get("colors") if isinstance(raw.get("colors"), dict) else {}
    links = [
        (str(item.get("label", "")), str(item.get("url", "")))
        for item in raw.get("footer_links") or []
        if isinstance(item, dict)
    ]
    logo = raw.get("logo_url")
    return BrandingFields(
        name=page.name,
        logo_url=str(logo) if logo else None,
        colors={k: str(v) for k, v in (colors or {}).items() if k in page_rules.COLOR_KEYS},
        footer_links=links,
    )


def update_branding(
    session: Session, page: StatusPage, fields: BrandingFields, *, actor: AuditActor
) -> StatusPage:
    """Set the page's name, logo, colours and footer links (checked like the file's)."""
    problems = _unstorable(
        {
            "name": fields.name,
            **{
                f"footer_links[{i}].label": label
                for i, (label, _) in enumerate(fields.footer_links)
            },
        }
    )
    name = fields.name.strip()
    if not name or len(name) > 200:
        problems.append("name: must be 1 to 200 characters")
    stored: dict[str, Any] = {}
    if fields.logo_url and fields.logo_url.strip():
        try:
            stored["logo_url"] = page_rules.web_url(fields.logo_url)
        except ValueError as exc:
            problems.append(f"logo_url: {exc}")
    colors: dict[str, str] = {}
    for key, value in fields.colors.items():
        if key not in page_rules.COLOR_KEYS:
            problems.append(f"colors.{key}: unknown colour (use brand, text or background)")
        elif value.strip():
            try:
                colors[key] = page_rules.color(value)
            except ValueError as exc:
                problems.append(f"colors.{key}: {exc}")
    if colors:
        stored["colors"] = colors
    links: list[dict[str, str]] = []
    for index, (label, url) in enumerate(fields.footer_links):
        if not label.strip() and not url.strip():
            continue
        if not label.strip() or len(label.strip()) > 100:
            problems.append(f"footer_links[{index}].label: must be 1 to 100 characters")
        try:
            links.append({"label": label.strip(), "url": page_rules.web_url(url)})
        except ValueError as exc:
            problems.append(f"footer_links[{index}].url: {exc}")
    if links:
        stored["footer_links"] = links
    if problems:
        raise ValidationFailed("; ".join(problems), errors=[{"detail": p} for p in problems])
    before = {"name": page.name, "branding": dict(page.branding or {})}
    page.name = name
    page.branding = stored
    after = {"name": page.name, "branding": dict(page.branding)}
    if after != before:
        page.updated_at = clock.now()
        session.flush()
        page_state.touch(session, [page.id])
        audit.record(
            session,
            actor,
            "status_page.update",
            "status_page",
            page.slug,
            before=before,
            after=after,
        )
    return page
