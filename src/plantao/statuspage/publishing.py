"""Publishing an incident on a status page, its later public updates, and dismissing the
proposal.

What the public reads is only what the Comms Lead wrote: the public title and text given here,
never the incident's internal title, labels, notes, runbooks or the fields of an internal
status update (``status_update_id`` only records which one a public update answered). Every
publication and update is written on the incident's internal timeline with its public words,
so responders see what customers were told. Component statuses are never set here directly:
the public incident's components are recorded and :func:`components.recompute` derives what
the page shows, so resolving restores them.

Who may publish: the incident's Comms Lead or Incident Commander, or a manager (or admin) of
its team.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.command import role_holders
from plantao.config import get_settings
from plantao.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from plantao.incidents import access
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.statuspage import components as status_components
from plantao.statuspage import page_state, pages
from plantao.statuspage.models import (
    COMPONENT_STATUSES,
    PUBLIC_STATUSES,
    ProposalDismissal,
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
)
from plantao.statuspage.page_view import impact_of
from plantao.statuspage.proposals import (
    DISMISSED,
    PUBLISHED,
    UPDATED,
    Proposal,
    is_open,
    proposals,
)

__all__ = [
    "Proposal",
    "dismiss",
    "is_open",
    "open_public",
    "page_named",
    "post_update",
    "proposals",
    "publish",
    "require_publisher",
    "url_of",
]

TITLE_MAX = 300
BODY_MAX = 10_000
PUBLISHER_ROLES = ("comms_lead", "incident_commander")


def require_publisher(session: Session, who: Principal, incident: Incident) -> None:
    """403 unless ``who`` is the incident's Comms Lead or IC, or manages its team."""
    hats = role_holders.holders(session, [incident.id])[incident.id]
    if any(h.user_id == who.user_id and h.role in PUBLISHER_ROLES for h in hats):
        return
    if access.allowed(session, who, incident, Need.MANAGE):
        return
    raise PermissionDenied(
        f"publishing {incident.human_id} on the status page is for its Comms Lead or "
        "Incident Commander, or a manager of its team; you are none of these"
    )


def page_named(session: Session, slug: str | None) -> StatusPage:
    """The page ``slug`` (the default ``public`` page when None)."""
    if not slug or slug == pages.DEFAULT_SLUG:
        return pages.ensure_default(session)
    page = pages.by_slug(session, slug)
    if page is None:
        raise NotFound(f"no status page '{slug}'")
    return page


def url_of(page: StatusPage, public_incident_id: int, base_url: str | None = None) -> str:
    """The absolute URL of a public incident on its page (``base_url``: the installation's,
    from its settings when not given)."""
    base = (base_url or get_settings().base_url).rstrip("/")
    return f"{base}{pages.path_of(page.slug)}/incidents/{public_incident_id}"


def _text(field: str, value: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(
            f"the public {field} is empty", errors=[{"field": field, "message": "required"}]
        )
    if len(text) > limit:
        raise ValidationFailed(
            f"the public {field} is longer than {limit} characters",
            errors=[{"field": field, "message": f"at most {limit} characters"}],
        )
    return text


def _status(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValidationFailed(
            f"'{value}' is not a {field}; use one of {', '.join(allowed)}",
            errors=[{"field": field, "message": f"one of {', '.join(allowed)}"}],
        )
    return value


def _components(
    session: Session, page: StatusPage, given: Mapping[str, str]
) -> dict[int, tuple[StatusComponent, str]]:
    """The page's components named in ``given`` (slug or name → status), by id; 422 naming
    the page's components for one it does not have."""
    out: dict[int, tuple[StatusComponent, str]] = {}
    for ref, status in given.items():
        _status(status, COMPONENT_STATUSES, "component status")
        try:
            component = status_components.resolve(session, page.id, ref)
        except NotFound as exc:
            raise ValidationFailed(
                f"{exc.detail}", errors=[{"field": "components", "message": exc.detail}]
            ) from None
        out[component.id] = (component, status)
    return out


def _timeline(session: Session, incident_id: int | None, kind: str, actor: str, message: str,
              data: dict[str, object]) -> None:  # fmt: skip
    if incident_id is None:
        return
    incident_service.append(
        session, incident_id, [incident_service.TimelineItem(kind, actor, message, data)]
    )


def publish(
    session: Session,
    incident: Incident,
    *,
    page: str | None = None,
    title: str,
    body: str,
    components: Mapping[str, str],
    actor: str,
    status: str = "investigating",
) -> tuple[PublicIncident, PublicUpdate]:
    """Publish ``incident`` on ``page`` with the Comms Lead's public words; the first public
    update carries the same text. Flushes; the caller commits."""
    if incident.private:
        raise Conflict("this incident is private: private incidents are never published")
    the_page = page_named(session, page)
    existing = session.scalar(
        select(PublicIncident).where(
            PublicIncident.incident_id == incident.id, PublicIncident.page_id == the_page.id
        )
    )
    if existing is not None:
        raise Conflict(
            f"{incident.human_id} is already published on '{the_page.slug}' as public incident "
            f"{existing.id}; post an update to it instead"
        )
    public_title = _text("title", title, TITLE_MAX)
    public_body = _text("body", body, BODY_MAX)
    _status(status, PUBLIC_STATUSES, "public status")
    if status == "resolved":
        raise ValidationFailed("a publication cannot start resolved", errors=[{"field": "status"}])
    chosen = _components(session, the_page, components)
    now = clock.now()
    public = PublicIncident(
        page_id=the_page.id,
        incident_id=incident.id,
        title=public_title,
        status=status,
        impact=impact_of([s for _c, s in chosen.values()]),
        published_by=actor,
        created_at=now,
        updated_at=now,
        resolved_at=None,
    )
    session.add(public)
    session.flush()
    for component, given in chosen.values():
        session.add(
            PublicIncidentComponent(
                public_incident_id=public.id, component_id=component.id, status=given
            )
        )
    update = PublicUpdate(
        public_incident_id=public.id,
        status=status,
        body=public_body,
        components={c.slug: s for c, s in chosen.values()},
        status_update_id=None,
        created_by=actor,
        created_at=now,
        notified_at=None,
    )
    session.add(update)
    session.flush()
    _timeline(
        session,
        incident.id,
        PUBLISHED,
        actor,
        f"Published on the status page '{the_page.name}': {public_title} — {public_body}",
        {
            "page": the_page.slug,
            "public_incident": public.id,
            "title": public_title,
            "body": public_body,
            "status": status,
            "components": update.components,
        },
    )
    status_components.recompute(session, [the_page.id])
    page_state.touch(session, [the_page.id])
    return public, update


def _affected(session: Session, public: PublicIncident) -> dict[int, PublicIncidentComponent]:
    return {
        row.component_id: row
        for row in session.scalars(
            select(PublicIncidentComponent).where(
                PublicIncidentComponent.public_incident_id == public.id
            )
        )
    }


def post_update(
    session: Session,
    public: PublicIncident,
    *,
    status: str,
    body: str,
    components: Mapping[str, str] | None = None,
    actor: str,
    status_update_id: int | None = None,
) -> PublicUpdate:
    """A later public update. ``components`` changes (or adds) affected components' statuses;
    ``resolved`` ends the public incident and restores its components (changes given with it
    are ignored). 409 on a resolved public incident. Flushes; the caller commits."""
    if public.resolved_at is not None:
        raise Conflict(f"public incident {public.id} is resolved; it takes no more updates")
    _status(status, PUBLIC_STATUSES, "public status")
    public_body = _text("body", body, BODY_MAX)
    page = session.get(StatusPage, public.page_id)
    assert page is not None  # the foreign key cascades
    now = clock.now()
    changed: dict[str, str] = {}
    if status != "resolved" and components:
        affected = _affected(session, public)
        for component_id, (component, given) in _components(session, page, components).items():
            row = affected.get(component_id)
            if row is None:
                session.add(
                    PublicIncidentComponent(
                        public_incident_id=public.id, component_id=component_id, status=given
                    )
                )
            else:
                row.status = given
            changed[component.slug] = given
        session.flush()
        public.impact = impact_of([r.status for r in _affected(session, public).values()])
    public.status = status
    public.updated_at = now
    if status == "resolved":
        public.resolved_at = now
    update = PublicUpdate(
        public_incident_id=public.id,
        status=status,
        body=public_body,
        components=changed,
        status_update_id=status_update_id,
        created_by=actor,
        created_at=now,
        notified_at=None,
    )
    session.add(update)
    session.flush()
    _timeline(
        session,
        public.incident_id,
        UPDATED,
        actor,
        f"Status page update ({status}) on '{page.name}': {public_body}",
        {
            "page": page.slug,
            "public_incident": public.id,
            "update": update.id,
            "status": status,
            "body": public_body,
            "components": changed,
        },
    )
    status_components.recompute(session, [page.id])
    page_state.touch(session, [page.id])
    return update


def dismiss(session: Session, incident: Incident, page: str | None, actor: str) -> StatusPage:
    """Stop proposing ``incident`` on ``page`` (the status page is "not needed" for it).
    Idempotent; 409 when it is already published there."""
    the_page = page_named(session, page)
    if session.scalar(
        select(PublicIncident.id).where(
            PublicIncident.incident_id == incident.id, PublicIncident.page_id == the_page.id
        )
    ):
        raise Conflict(f"{incident.human_id} is already published on '{the_page.slug}'")
    if session.get(ProposalDismissal, (incident.id, the_page.id)) is not None:
        return the_page
    session.add(
        ProposalDismissal(
            incident_id=incident.id,
            page_id=the_page.id,
            dismissed_by=actor,
            dismissed_at=clock.now(),
        )
    )
    session.flush()
    _timeline(
        session,
        incident.id,
        DISMISSED,
        actor,
        f"Decided not to publish on the status page '{the_page.name}'",
        {"page": the_page.slug},
    )
    return the_page


def open_public(session: Session, public_id: int) -> PublicIncident:
    public = session.get(PublicIncident, public_id)
    if public is None:
        raise NotFound(f"no public incident {public_id}")
    return public
