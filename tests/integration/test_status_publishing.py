"""Publishing incidents on the status page against SQLite and PostgreSQL: proposals, the
publication with public words only, later updates, resolution restoring components, private
incidents refused, the Sev1 prompt sent once, dismissal, the checklist item and the status page
link of messages."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import Service
from plantao.command import checklist_items as defs
from plantao.command import checklists, roles
from plantao.config import get_settings
from plantao.db import session_scope
from plantao.engine import incident_facts
from plantao.engine.reactions import react
from plantao.errors import Conflict, ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import Incident, TimelineEntry
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from plantao.people.models import User
from plantao.statuspage import pages, proposals, publishing
from plantao.statuspage.models import PublicUpdate, StatusComponent
from tests.factories.config import apply_standard
from tests.factories.notify import give_contacts


def _component(session: Session, page_id: int, slug: str, services: list[str]) -> None:
    now = clock.now()
    session.add(
        StatusComponent(
            page_id=page_id,
            slug=slug,
            name=slug.title(),
            description="",
            group_name=None,
            position=0,
            services=services,
            status="operational",
            created_at=now,
            updated_at=now,
        )
    )
    session.flush()


@pytest.fixture
def world(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    """The standard catalog; the public page with 'api' (fed by checkout) and 'web' (orders)."""
    apply_standard(factory)
    with session_scope(factory) as session:
        for row in session.scalars(select(StatusComponent)):
            session.delete(row)
        session.flush()
        page_id = pages.ensure_default(session).id
        _component(session, page_id, "api", ["checkout"])
        _component(session, page_id, "web", ["orders"])
    return factory


def _open(session: Session, *, severity: str = "sev2", service: str = "checkout") -> Incident:
    service_id = session.scalars(select(Service.id).where(Service.slug == service)).one()
    return incident_service.open_incident(
        session,
        title="Secret internal title: db-primary-7 OOM",
        severity_name=severity,
        service_id=service_id,
        route_id=None,
        group_key=f"k-{severity}-{service}",
        group_window_seconds=3600,
        auto_resolve=False,
        detected_at=clock.now(),
        actor="test",
    )


def _statuses(session: Session) -> dict[str, str]:
    return {c.slug: c.status for c in session.scalars(select(StatusComponent))}


def _kinds(session: Session, incident_id: int) -> list[str]:
    return list(
        session.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.id)
        )
    )


def test_publish_two_updates_and_resolve_restores_components(world: sessionmaker[Session]) -> None:
    """Proposed → published → two updates → resolved: components follow, then are restored."""
    with session_scope(world) as session:
        incident = _open(session)
        [proposal] = publishing.proposals(session, incident)
        assert (proposal.page_slug, proposal.urgency) == ("public", proposals.IF_CUSTOMERS_AFFECTED)
        assert [c.slug for c in proposal.components] == ["api"]
        public, first = publishing.publish(
            session,
            incident,
            title="Checkout is failing for some customers",
            body="We are investigating errors at checkout.",
            components={"api": "partial_outage"},
            actor="ana",
        )
        assert (public.status, public.impact, first.status) == (
            "investigating",
            "major",
            "investigating",
        )
        assert _statuses(session) == {"api": "partial_outage", "web": "operational"}
        assert publishing.proposals(session, incident) == []
        publishing.post_update(
            session, public, status="identified", body="Found it.",
            components={"Api": "major_outage"}, actor="ana",
        )  # fmt: skip
        assert (_statuses(session)["api"], public.impact) == ("major_outage", "critical")
        publishing.post_update(session, public, status="monitoring", body="Fix out.", actor="ana")
        publishing.post_update(
            session, public, status="resolved", body="All good.",
            components={"api": "major_outage"}, actor="ana",
        )  # fmt: skip
        assert public.resolved_at == clock.now()
        assert _statuses(session) == {"api": "operational", "web": "operational"}
        bodies = [u.body for u in session.scalars(select(PublicUpdate).order_by(PublicUpdate.id))]
        assert bodies == [
            "We are investigating errors at checkout.",
            "Found it.",
            "Fix out.",
            "All good.",
        ]
        assert "Secret internal" not in public.title
        kinds = _kinds(session, incident.id)
        assert kinds.count(proposals.PUBLISHED) == 1 and kinds.count(proposals.UPDATED) == 3
        with pytest.raises(Conflict):
            publishing.post_update(session, public, status="monitoring", body="x", actor="ana")


def test_private_incident_never_proposed_and_refused(world: sessionmaker[Session]) -> None:
    """A private incident proposes nothing and publishing it is a conflict that changes nothing."""
    with session_scope(world) as session:
        incident = _open(session, severity="sev1")
        incident.private = True
        session.flush()
        assert publishing.proposals(session, incident) == []
        with pytest.raises(Conflict, match="private"):
            publishing.publish(
                session, incident, title="t", body="b", components={"api": "major_outage"},
                actor="ana",
            )  # fmt: skip
        assert _statuses(session)["api"] == "operational"


def test_refusals_change_nothing(world: sessionmaker[Session]) -> None:
    """Unknown components, empty or long texts, bad statuses and a second publication refuse."""
    with session_scope(world) as session:
        incident = _open(session)
        with pytest.raises(ValidationFailed, match="api, web"):
            publishing.publish(
                session, incident, title="t", body="b", components={"db": "major_outage"},
                actor="ana",
            )  # fmt: skip
        for title, body in (("  ", "b"), ("t", ""), ("x" * 301, "b"), ("t", "x" * 10_001)):
            with pytest.raises(ValidationFailed):
                publishing.publish(
                    session, incident, title=title, body=body, components={}, actor="a"
                )
        with pytest.raises(ValidationFailed):
            publishing.publish(
                session, incident, title="t", body="b", components={"api": "broken"}, actor="a"
            )
        public, _ = publishing.publish(
            session, incident, title="t", body="b", components={}, actor="a"
        )
        with pytest.raises(Conflict, match=f"public incident {public.id}"):
            publishing.publish(session, incident, title="t", body="b", components={}, actor="a")


def test_sev1_asks_the_comms_lead_once(world: sessionmaker[Session]) -> None:
    """A Sev1 on a fed service asks its Comms Lead to publish, once, when one is named."""
    give_contacts(world, [ContactMethodSpec("work-email", "email", "ana@example.com")])
    with session_scope(world) as session:
        incident = _open(session, severity="sev1")
        incident_id = incident.id
        react(session)  # nobody holds a hat yet: nobody is asked
        assert proposals.PROMPTED not in _kinds(session, incident_id)
        ana = session.scalars(select(User).where(User.handle == "ana")).one()
        roles.assign(session, incident, "comms_lead", ana, actor="test")
        incident_service.act(session, incident, Action.ACKNOWLEDGE, actor="ana")
        react(session)
        react(session)
        rows = session.scalars(
            select(Delivery).where(Delivery.incident_ref == incident.human_id)
        ).all()
        messages = [d for d in rows if d.kind == "message" and d.step == "status_page"]
        assert len(messages) == 1
        assert messages[0].subject.endswith("is Sev1: publish it on the status page")
        assert _kinds(session, incident_id).count(proposals.PROMPTED) == 1


def test_dismiss_stops_the_proposal_and_answers_the_checklist(world: sessionmaker[Session]) -> None:
    """Dismissing decides the status page item; an unfed service's incident is decided at once."""
    with session_scope(world) as session:
        incident = _open(session)
        item = next(
            s
            for s in checklists.states(session, incident)[defs.SETUP]
            if s.item.id == "status_page"
        )
        assert not item.done
        assert not proposals.decided(session, incident)
        publishing.dismiss(session, incident, None, "ana")
        publishing.dismiss(session, incident, "public", "ana")  # idempotent
        assert publishing.proposals(session, incident) == []
        assert proposals.decided(session, incident)
        states = checklists.states(session, incident, status_page_decided=True)[defs.SETUP]
        assert next(s for s in states if s.item.id == "status_page").source == "computed"
        assert _kinds(session, incident.id).count(proposals.DISMISSED) == 1
        unfed = _open(session, service="default")
        assert proposals.decided(session, unfed)


def test_status_page_url_in_message_facts(world: sessionmaker[Session]) -> None:
    """Messages link the page the service feeds, then the public incident once published."""
    settings = get_settings()
    base = settings.base_url.rstrip("/")
    with session_scope(world) as session:
        incident = _open(session)
        unfed = _open(session, service="default")
        facts = incident_facts.facts_for_many(session, [incident, unfed], settings)
        assert facts[incident.id].status_page_url == f"{base}/status"
        assert facts[unfed.id].status_page_url is None
        public, _ = publishing.publish(
            session, incident, title="t", body="b", components={}, actor="a"
        )
        facts = incident_facts.facts_for_many(session, [incident], settings)
        assert facts[incident.id].status_page_url == f"{base}/status/incidents/{public.id}"
