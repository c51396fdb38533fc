"""Private incidents against SQLite and PostgreSQL: the visibility clause in both list queries,
the single-incident check, the live audiences, and who keeps access when an incident is made
private or pages someone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.auth import service as auth_service
from plantao.auth.principal import Principal
from plantao.db import session_scope
from plantao.errors import NotFound
from plantao.incidents import access, listing, privacy, visibility
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, IncidentResponder, TimelineEntry
from plantao.notify import outbox_admin
from plantao.people import directory
from plantao.people.models import User
from tests.factories.oncall import ana_mailed_after, fire, pages, settle, setup_oncall
from tests.factories.people import make_user


def _user(session: Session, handle: str) -> User:
    found = directory.by_handle(session, handle)
    assert found is not None
    return found


def _principal(session: Session, handle: str) -> Principal:
    return auth_service.principal_of(session, _user(session, handle), via="test")


def _make_private(factory: sessionmaker[Session], incident_id: int) -> None:
    with session_scope(factory) as session:
        session.execute(update(Incident).where(Incident.id == incident_id).values(private=True))


def _listed(session: Session, who: Principal) -> set[int]:
    viewer = listing.Viewer(
        user_id=who.user_id, handle=who.handle, team_ids=frozenset(), is_admin=who.is_admin
    )
    page = listing.list_page(session, listing.Filters(status=""), viewer=viewer)
    return {row.id for row in page.rows}


def _api_listed(session: Session, who: Principal) -> set[int]:
    clause = visibility.visible_clause(who.user_id, who.is_admin)
    return {i.id for i in incident_service.list_incidents(session, visible=clause).items}


@pytest.fixture
def world(factory: sessionmaker[Session], frozen: datetime) -> tuple[int, int]:
    """The on-call setup, a public and a private incident (bruno added to the private one),
    and a global admin 'root' who is on neither."""
    setup_oncall(factory)
    public = fire(factory, name="Public")
    secret = fire(factory, name="Secret")
    _make_private(factory, secret)
    with session_scope(factory) as session:
        make_user(session, "root", global_role="admin")
        make_user(session, "vera", global_role="viewer")
        incident = incident_service.get(session, secret)
        access.add_responder(session, incident, _user(session, "bruno"), actor="ana")
    return public, secret


def test_lists_show_a_private_incident_only_to_its_responders_and_admins(
    factory: sessionmaker[Session], world: tuple[int, int]
) -> None:
    """The web list (urgency order) and the API list (id order) both leave the private incident
    out for a viewer and a non-added responder, and show it to its responder and an admin."""
    public, secret = world
    with factory() as session:
        for handle, sees in (
            ("vera", {public}),
            ("carla", {public}),
            ("bruno", {public, secret}),
            ("root", {public, secret}),
        ):
            who = _principal(session, handle)
            assert _listed(session, who) == sees, handle
            assert _api_listed(session, who) == sees, handle


def test_a_hidden_private_incident_is_not_found_like_a_missing_one(
    factory: sessionmaker[Session], world: tuple[int, int]
) -> None:
    """get_to_read and get_to_act raise the very NotFound a missing reference gets, before any
    role check; the responder and an admin get the incident."""
    _public, secret = world
    with factory() as session:
        incident = incident_service.get(session, secret)
        with pytest.raises(NotFound) as missing:
            incident_service.get(session, 999_999)
        for handle in ("vera", "carla"):
            who = _principal(session, handle)
            assert not visibility.can_see(session, incident, who.user_id, who.is_admin)
            for ref in (str(secret), incident.human_id):
                with pytest.raises(NotFound) as hidden:
                    access.get_to_read(session, ref, who)
                assert hidden.value.detail == missing.value.detail.replace("999999", ref)
            with pytest.raises(NotFound):
                access.get_to_act(session, str(secret), who)
            session.rollback()
        for handle in ("bruno", "root"):
            assert access.get_to_read(session, secret, _principal(session, handle)).id == secret


def test_audiences_name_the_responders_of_private_incidents_only(
    factory: sessionmaker[Session], world: tuple[int, int]
) -> None:
    """One query gives each private incident's responders (what live events are filtered by);
    public incidents are not in the answer."""
    public, secret = world
    with factory() as session:
        bruno = _user(session, "bruno").id
        assert visibility.audiences(session, [public, secret]) == {secret: frozenset({bruno})}
        assert visibility.audiences(session, []) == {}


def test_people_paged_for_a_private_incident_become_its_responders(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A private incident pages ana (step 1) and, 5 minutes later, bruno (step 2): each becomes
    a responder in state 'paged' when the page is written, and so can see it."""
    loop = setup_oncall(factory)
    secret = fire(factory, name="Leak")
    _make_private(factory, secret)
    settle(loop)
    clock.advance(timedelta(minutes=5))
    settle(loop)
    assert [user for user, _ in pages(factory, secret)] == ["ana", "bruno"]
    with factory() as session:
        rows = session.execute(
            select(User.handle, IncidentResponder.state, IncidentResponder.via)
            .join(User, User.id == IncidentResponder.user_id)
            .where(IncidentResponder.incident_id == secret)
            .order_by(User.handle)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("ana", "paged", privacy.VIA_PAGE),
            ("bruno", "paged", privacy.VIA_PAGE),
        ]
        assert access.get_to_read(session, secret, _principal(session, "ana")).id == secret


def test_public_incidents_page_without_adding_responders(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Paging for a public incident writes no responder rows (who is on it stays as it was)."""
    loop = setup_oncall(factory)
    incident_id = fire(factory, name="Plain")
    settle(loop)
    assert pages(factory, incident_id) == [("ana", "step 1 of 3")]
    with factory() as session:
        assert access.responders(session, incident_id) == []


def test_making_an_incident_private_keeps_the_actor_and_those_already_paged(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """carla makes a paged incident private: she and ana (paged) become responders, the timeline
    says so once; the same call again changes nothing; making it public removes nobody."""
    loop = setup_oncall(factory)
    incident_id = fire(factory, name="Hide")
    settle(loop)
    with session_scope(factory) as session:
        incident = incident_service.get(session, incident_id, for_update=True)
        carla, ana = _user(session, "carla"), _user(session, "ana")
        assert privacy.set_private(session, incident, True, actor=carla, keep=[ana.id])
        assert not privacy.set_private(session, incident, True, actor=carla, keep=[ana.id])
    with session_scope(factory) as session:
        incident = incident_service.get(session, incident_id, for_update=True)
        assert incident.private
        handles = sorted(u.handle for _, u in access.responders(session, incident_id))
        assert handles == ["ana", "carla"]
        assert privacy.set_private(session, incident, False, actor=_user(session, "carla"))
    with factory() as session:
        entries = session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == privacy.KIND)
            .order_by(TimelineEntry.id)
        ).all()
        assert [(e.actor, e.data) for e in entries] == [
            ("carla", {"private": True, "kept": ["ana"]}),
            ("carla", {"private": False, "kept": []}),
        ]
        assert not incident_service.get(session, incident_id).private
        assert len(access.responders(session, incident_id)) == 2


def test_the_deliveries_of_a_private_incident_are_hidden_from_outsiders(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The outbox list (the /deliveries page) leaves out a private incident's deliveries for a
    manager who is not on it; the paged person (now a responder) and an admin's view keep them."""
    loop = setup_oncall(factory, ana_mailed_after("0m"))
    secret = fire(factory, name="Mailed")
    _make_private(factory, secret)
    settle(loop)
    with session_scope(factory) as session:
        mona = make_user(session, "mona", team_roles={"sre": "manager"})
        ana = _user(session, "ana")
        every = outbox_admin.list_deliveries(session)
        assert [d.incident_id for d in every] == [secret]
        assert outbox_admin.list_deliveries(session, hidden_for=mona.id) == []
        assert outbox_admin.list_deliveries(session, hidden_for=ana.id) == every
