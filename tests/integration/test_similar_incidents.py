"""Similar past incidents on a scripted year of history, against SQLite and PostgreSQL: the
probe's own family comes first, open, too old and invisible incidents never appear, the limit
holds, and each result says how it was resolved."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import session_scope
from plantao.people.models import User
from plantao.postmortems.similar_incidents import Viewer, similar_to
from tests.factories import similar_history
from tests.factories.config import apply_standard
from tests.factories.people import make_user
from tests.factories.similar_history import FAMILIES, History

ADMIN = Viewer(user_id=0, is_admin=True)


@pytest.fixture
def history(factory: sessionmaker[Session], frozen: datetime) -> History:
    apply_standard(factory)
    with session_scope(factory) as session:
        return similar_history.build(session, frozen)


def _viewer(session: Session, handle: str) -> Viewer:
    user: User = make_user(session, handle, global_role="viewer")
    return Viewer(user_id=user.id, is_admin=False)


@pytest.mark.parametrize("family", range(len(FAMILIES)))
def test_top_five_are_the_probes_family(
    factory: sessionmaker[Session], frozen: datetime, history: History, family: int
) -> None:
    """For a new incident of each family, the five results are that family's resolved ones."""
    with session_scope(factory) as session:
        probe = similar_history.probe(session, family, frozen)
        viewer = _viewer(session, "vera")
        found = similar_to(session, probe, viewer, limit=5)
    assert {f.id for f in found} == set(history.resolved[family])
    assert all(f.status == "resolved" for f in found)
    assert [f.score for f in found] == sorted((f.score for f in found), reverse=True)
    assert any(w.startswith("family:") for w in found[0].why)


def test_same_family_on_another_service_ranks_after_the_services_own(
    factory: sessionmaker[Session], frozen: datetime, history: History
) -> None:
    """The disk family on the cache service comes right after storage's own five, before any
    incident of another family."""
    with session_scope(factory) as session:
        probe = similar_history.probe(session, 0, frozen)
        found = similar_to(session, probe, _viewer(session, "vera"), limit=10)
    ids = [f.id for f in found]
    assert ids[5] == history.other_service_id
    assert "service" not in found[5].why
    assert found[5].why[0].startswith("family:")


def test_open_too_old_itself_and_private_are_left_out(
    factory: sessionmaker[Session], frozen: datetime, history: History
) -> None:
    """Open incidents, one older than a year, the probe itself and a private incident the
    reader may not see never appear, even with room to spare."""
    with session_scope(factory) as session:
        probe = similar_history.probe(session, 0, frozen)
        found = similar_to(session, probe, _viewer(session, "vera"), limit=20)
    ids = {f.id for f in found}
    assert ids.isdisjoint({*history.open_ids, history.too_old_id, history.private_id, probe.id})
    assert all("Secret" not in f.title for f in found)
    assert set(history.resolved[0]) <= ids


def test_admin_sees_the_private_incident(
    factory: sessionmaker[Session], frozen: datetime, history: History
) -> None:
    """A global admin may see private incidents, so the private disk incident is a result."""
    with session_scope(factory) as session:
        probe = similar_history.probe(session, 0, frozen)
        found = similar_to(session, probe, ADMIN, limit=10)
    private = [f for f in found if f.id == history.private_id]
    assert private and private[0].resolution == "Deleted the leaked export"


@pytest.mark.parametrize("limit", [1, 3])
def test_the_limit_holds(
    factory: sessionmaker[Session], frozen: datetime, history: History, limit: int
) -> None:
    """No more results than asked for, and the best ones."""
    with session_scope(factory) as session:
        probe = similar_history.probe(session, 3, frozen)
        found = similar_to(session, probe, ADMIN, limit=limit)
    assert len(found) == limit
    assert {f.id for f in found} <= set(history.resolved[3])


def test_each_result_says_how_it_was_resolved(
    factory: sessionmaker[Session], frozen: datetime, history: History
) -> None:
    """Resolution (note or update's fix), confirmed runbook only, postmortem, time to resolve."""
    family = FAMILIES[4]
    with session_scope(factory) as session:
        probe = similar_history.probe(session, 4, frozen)
        found = {f.id: f for f in similar_to(session, probe, ADMIN, limit=5)}
    first, second = (found[i] for i in history.resolved[4][:2])
    assert first.resolution == family.fix  # the note written when resolving
    assert second.resolution == f"{family.fix} — capacity"  # the resolution update
    assert [r.runbook_id for r in first.runbooks] == [family.runbook]
    assert first.runbooks[0].confirmed and not first.runbooks[0].ran
    assert first.postmortem is not None and first.postmortem.status == "published"
    assert second.postmortem is None
    assert first.time_to_resolve_seconds == (30 + 4) * 60
    assert second.time_to_resolve_seconds == (30 + 7 + 4) * 60
    assert first.service == family.service


def test_an_unrelated_incident_gets_nothing(
    factory: sessionmaker[Session], frozen: datetime, history: History
) -> None:
    """An incident of a service with no history, no alerts and unrelated words finds nothing:
    recency alone does not make an incident similar."""
    with session_scope(factory) as session:
        probe = similar_history.add_incident(
            session,
            service_id=similar_history.service_ids(session)["default"],
            title="Office coffee machine out of beans",
            alerts=[],
            triggered_at=frozen,
            minutes=None,
        )
        assert similar_to(session, probe, ADMIN) == []


def test_declared_incident_is_found_by_its_words(
    factory: sessionmaker[Session], frozen: datetime, history: History
) -> None:
    """An incident declared by hand (no alerts) on another service finds the Kafka lag family
    by its words alone."""
    with session_scope(factory) as session:
        probe = similar_history.add_incident(
            session,
            service_id=similar_history.service_ids(session)["default"],
            title="Billing consumer group lags on the invoices topic",
            alerts=[],
            triggered_at=frozen,
            minutes=None,
        )
        found = similar_to(session, probe, ADMIN)
    assert found and found[0].id in history.resolved[4]
    assert found[0].why[-1].startswith("words:")
