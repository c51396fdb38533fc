"""The live hub's change cursor on real databases: what it reports, what it must not miss."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.config import Settings
from plantao.db import make_engine, make_sessionmaker, run_transaction
from plantao.engine.delivery_step import DeliveryStep
from plantao.incidents import service as incident_service
from plantao.incidents.models import TimelineEntry
from plantao.notify.specs import ContactMethodSpec
from plantao.web.live_cursor import ChangeCursor
from plantao.web.live_hub import LiveHub
from tests.conftest import empty_postgres
from tests.factories.config import apply_standard
from tests.factories.notify import (
    WEBHOOK_SECRET,
    WebhookReceiver,
    deliver,
    deliveries,
    give_contacts,
    open_incidents,
    page,
)


def _note(factory: sessionmaker[Session], incident_id: int, text: str) -> None:
    item = incident_service.TimelineItem("note", "test", text, {})
    run_transaction(factory, lambda s: incident_service.append(s, incident_id, [item]))


def _timeline_rows(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(TimelineEntry)) or 0)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def test_the_first_read_reports_nothing_then_changes_are_reported(
    factory: sessionmaker[Session],
) -> None:
    """History is not replayed; a new incident is new=True, a note on an old one new=False."""
    apply_standard(factory)
    [old] = open_incidents(factory, 1, title="Before", severity="sev2")
    cursor = ChangeCursor(factory)
    assert cursor.read() == []
    assert cursor.read() == []
    [fresh] = open_incidents(factory, 1, title="After", severity="sev1")
    _note(factory, old, "still here")
    changes = {c.id: c for c in cursor.read()}
    assert set(changes) == {old, fresh}
    assert changes[fresh].new is True and changes[fresh].severity == "sev1"
    assert changes[fresh].title == "After" and changes[fresh].ref.startswith("INC-")
    assert changes[old].new is False and changes[old].status == "triggered"
    assert cursor.read() == []


def test_a_delivery_changing_state_names_its_incident(
    factory: sessionmaker[Session], receiver: WebhookReceiver
) -> None:
    """A delivery sent (no timeline entry written) is reported as a change of its incident."""
    apply_standard(factory)
    give_contacts(factory, [ContactMethodSpec("hook", "webhook", receiver.url, WEBHOOK_SECRET)])
    [incident] = open_incidents(factory, 1)
    cursor = ChangeCursor(factory)
    cursor.read()
    page(factory, [incident])
    assert [c.id for c in cursor.read()] == [incident]
    entries = _timeline_rows(factory)
    assert deliver(DeliveryStep(Settings(env="test")), factory) == 1
    assert [d.state for d in deliveries(factory)] == ["sent"]
    assert _timeline_rows(factory) == entries, "the send wrote a timeline entry"
    assert [c.id for c in cursor.read()] == [incident]
    assert cursor.read() == []


def test_an_id_committed_after_a_higher_one_is_not_missed(postgres_database: str) -> None:
    """PostgreSQL (SQLite commits one writer at a time, so in id order): an entry whose
    transaction commits after a later id's is still reported."""
    engine = make_engine(empty_postgres(postgres_database), pool_size=2)
    factory = make_sessionmaker(engine)
    try:
        apply_standard(factory)
        first, second = open_incidents(factory, 2)
        cursor = ChangeCursor(factory)
        cursor.read()
        with factory() as slow:
            item = incident_service.TimelineItem("note", "test", "slow", {})
            incident_service.append(slow, first, [item])
            slow.flush()  # takes the lower id, commits later
            _note(factory, second, "fast")
            assert [c.id for c in cursor.read()] == [second]
            slow.commit()
        assert [c.id for c in cursor.read()] == [first]
    finally:
        engine.dispose()


def test_a_commit_that_wakes_the_engines_wakes_the_hub_before_its_poll(
    factory: sessionmaker[Session],
) -> None:
    """With a 60 s poll, an incident opened (its commit wakes the engines: NOTIFY on
    PostgreSQL, the local event on SQLite) still reaches a subscriber within seconds."""
    apply_standard(factory)

    async def scenario() -> bytes:
        hub = LiveHub(factory, dead_sessions=lambda sids: set(), interval=60.0)
        subscriber = hub.subscribe(sid="s")
        await hub.start()
        try:
            while not hub.cursor.primed:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.2)  # the poller is now in its 60 s wait
            await asyncio.to_thread(open_incidents, factory, 1, title="Wake up")
            return await asyncio.wait_for(subscriber.queue.get(), timeout=20)
        finally:
            await hub.stop()

    chunk = asyncio.run(scenario())
    assert b'"title":"Wake up"' in chunk and b'"new":true' in chunk
