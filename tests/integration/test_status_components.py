"""Component statuses against SQLite and PostgreSQL: derived from open public incidents (never
from private ones) and maintenance in progress, the worst one winning, pages touched only when
something changed; the lookups publishing and maintenance use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import Service
from plantao.db import session_scope
from plantao.errors import NotFound
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.oncall.models import Silence
from plantao.statuspage import components, pages
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    StatusComponent,
    StatusPageState,
)
from tests.factories import status_pages
from tests.factories.config import apply_standard


@pytest.fixture
def page(factory: sessionmaker[Session], frozen: datetime) -> int:
    """The standard catalog, the public page with 'api' (fed by checkout) and 'web'."""
    apply_standard(factory)
    with session_scope(factory) as session:
        page_id = pages.ensure_default(session).id
        for row in session.scalars(select(StatusComponent)):
            session.delete(row)
        status_pages.component(session, page_id, "api", ["checkout"])
        status_pages.component(session, page_id, "web", ["orders"])
    return page_id


def _incident(session: Session, *, private: bool = False) -> int:
    service_id = session.scalars(select(Service.id).where(Service.slug == "checkout")).one()
    incident = incident_service.open_incident(
        session,
        title="Checkout errors",
        severity_name="sev2",
        service_id=service_id,
        route_id=None,
        group_key="k",
        group_window_seconds=3600,
        auto_resolve=False,
        detected_at=clock.now(),
        actor="test",
    )
    incident.private = private
    session.flush()
    return incident.id


def _publish(session: Session, page_id: int, incident_id: int | None, given: dict[str, str]) -> int:
    now = clock.now()
    public = PublicIncident(
        page_id=page_id,
        incident_id=incident_id,
        title="Slow checkout",
        status="investigating",
        impact="minor",
        published_by="ana",
        created_at=now,
        updated_at=now,
        resolved_at=None,
    )
    session.add(public)
    session.flush()
    for slug, status in given.items():
        component = components.resolve(session, page_id, slug)
        session.add(
            PublicIncidentComponent(
                public_incident_id=public.id, component_id=component.id, status=status
            )
        )
    session.flush()
    return public.id


def _statuses(session: Session, page_id: int) -> dict[str, str]:
    return {c.slug: c.status for c in components.on_page(session, page_id)}


def _version(session: Session, page_id: int) -> int:
    return (
        session.scalar(select(StatusPageState.version).where(StatusPageState.page_id == page_id))
        or 0
    )


def test_open_incidents_give_the_worst_status_and_touch_the_page(
    factory: sessionmaker[Session], page: int
) -> None:
    """Two open public incidents on one component: it shows the worse; the page is touched."""
    with session_scope(factory) as session:
        before = _version(session, page)
        _publish(session, page, _incident(session), {"api": "degraded_performance"})
        _publish(session, page, None, {"api": "major_outage", "web": "partial_outage"})
        components.recompute(session, [page])
        assert _statuses(session, page) == {"api": "major_outage", "web": "partial_outage"}
        assert _version(session, page) == before + 1


def test_resolved_incidents_bring_components_back_and_no_change_does_not_touch(
    factory: sessionmaker[Session], page: int
) -> None:
    """Resolving the only incident returns to operational; a recompute with nothing new keeps
    the page's version."""
    with session_scope(factory) as session:
        public_id = _publish(session, page, None, {"api": "partial_outage"})
        components.recompute(session, [page])
        session.execute(
            update(PublicIncident)
            .where(PublicIncident.id == public_id)
            .values(resolved_at=clock.now())
        )
        components.recompute(session, [page])
        assert _statuses(session, page)["api"] == "operational"
        version = _version(session, page)
        components.recompute(session, [page])
        assert _version(session, page) == version


def test_private_incidents_do_not_colour_components(
    factory: sessionmaker[Session], page: int
) -> None:
    """A public incident whose internal incident became private gives no status."""
    with session_scope(factory) as session:
        incident_id = _incident(session)
        _publish(session, page, incident_id, {"api": "major_outage"})
        components.recompute(session, [page])
        assert _statuses(session, page)["api"] == "major_outage"
        session.execute(update(Incident).where(Incident.id == incident_id).values(private=True))
        components.recompute(session, [page])
        assert _statuses(session, page)["api"] == "operational"


def test_maintenance_in_progress_only(factory: sessionmaker[Session], page: int) -> None:
    """A window in progress puts its components under maintenance; a future, past or ended
    window does not; an outage is worse than maintenance."""
    now = clock.now()
    with session_scope(factory) as session:
        status_pages.shown_window(
            session, page, starts=now + timedelta(hours=1), ends=now + timedelta(hours=2)
        )
        status_pages.shown_window(
            session, page, starts=now - timedelta(hours=2), ends=now - timedelta(hours=1)
        )
        components.recompute(session, [page])
        assert _statuses(session, page)["api"] == "operational"
        live = status_pages.shown_window(
            session, page, starts=now - timedelta(minutes=5), ends=now + timedelta(hours=1)
        )
        components.recompute(session, [page])
        assert _statuses(session, page) == {"api": "under_maintenance", "web": "operational"}
        _publish(session, page, None, {"api": "partial_outage"})
        components.recompute(session, [page])
        assert _statuses(session, page)["api"] == "partial_outage"
        session.execute(update(PublicIncident).values(resolved_at=now))
        session.execute(update(Silence).where(Silence.id == live).values(ended_at=now))
        components.recompute(session, [page])
        assert _statuses(session, page)["api"] == "operational"


def test_feeding_and_resolve(factory: sessionmaker[Session], page: int) -> None:
    """Components fed by a service are found from it; a component is named by slug or by name
    in any case; an unknown one lists the page's components."""
    with session_scope(factory) as session:
        checkout = session.scalars(select(Service.id).where(Service.slug == "checkout")).one()
        assert [c.slug for c in components.feeding(session, checkout)] == ["api"]
        assert components.resolve(session, page, "WEB").slug == "web"
        assert components.resolve(session, page, "api").slug == "api"
        with pytest.raises(NotFound, match="api, web"):
            components.resolve(session, page, "nope")
