"""Heartbeats and change events are inbox entries, applied in arrival order with alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.alerts.models import Alert
from plantao.changes.models import ChangeEvent
from plantao.changes.schemas import ChangeIn
from plantao.db import run_transaction, session_scope
from plantao.intake import inbox
from plantao.intake.inbox import Submission
from plantao.intake.models import InboxEntry
from plantao.intake.sources import generic
from plantao.oncall import heartbeats
from plantao.oncall.models import Heartbeat
from tests.factories.config import GENERIC_KEY, PD_KEY, STANDARD, apply_config
from tests.factories.inbox import drain
from tests.factories.oncall import oncall_loop
from tests.integration.helpers import count

MONITOR = """
heartbeats:
  - {slug: backup, name: Backup, service: checkout, interval: 5m, grace: 1m,
     key: hb-key-0123456789abcdef}
"""
KEY = "hb-key-0123456789abcdef"


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_config(factory, STANDARD + MONITOR)
    return factory


def _beat(db: sessionmaker[Session]) -> heartbeats.Beat:
    return run_transaction(db, lambda s: heartbeats.beat(s, KEY))


def _timers(db: sessionmaker[Session]) -> None:
    """Run the due on-call timers only, leaving the inbox alone."""
    oncall_loop(db, steps=[]).run_once()


def _monitor(db: sessionmaker[Session]) -> Heartbeat:
    with db() as session:
        return session.scalars(select(Heartbeat).where(Heartbeat.slug == "backup")).one()


def _generic(title: str) -> Submission:
    events, _ = generic.parse({"title": title, "dedup_key": title})
    return Submission(GENERIC_KEY, "generic", events)


def _change(summary: str = "Deploy checkout v2") -> Submission:
    change = ChangeIn(summary=summary, source="argocd", occurred_at=None, details={})
    return Submission(PD_KEY, inbox.CHANGE, [], records=[change.to_json()])


def _accept(db: sessionmaker[Session], *submissions: Submission) -> list[int | None]:
    return run_transaction(db, lambda s: inbox.accept(s, list(submissions)))


def _sources(db: sessionmaker[Session]) -> list[str]:
    with db() as session:
        return list(session.scalars(select(InboxEntry.source).order_by(InboxEntry.id)))


def test_beat_is_answered_from_the_inbox_and_applied_by_the_engine(
    db: sessionmaker[Session],
) -> None:
    """A beat stores a heartbeat entry and answers ok with its deadline; applying it records it."""
    answer = _beat(db)
    assert (answer.state, answer.last_beat_at) == ("ok", clock.now())
    assert answer.due_at == clock.now() + timedelta(minutes=6)
    assert _sources(db) == [inbox.HEARTBEAT] and _monitor(db).state == "waiting"
    assert drain(db) == 1
    monitor = _monitor(db)
    assert (monitor.state, monitor.last_beat_at, monitor.due_at) == (
        "ok",
        answer.last_beat_at,
        answer.due_at,
    )


def test_overdue_alert_and_beat_apply_in_arrival_order_with_alerts(
    db: sessionmaker[Session],
) -> None:
    """Deadline, an alert and the next beat, applied in one pass, fire then resolve the
    heartbeat alert in their order and open the other alert too."""
    _beat(db)
    drain(db)
    clock.advance(timedelta(minutes=6))
    _timers(db)  # the timer stores the deadline; nothing is raised before it is applied
    assert _sources(db) == [inbox.HEARTBEAT] and count(db, Alert) == 0
    assert _monitor(db).state == "ok"
    _accept(db, _generic("Disk full"))
    _beat(db)
    assert _sources(db) == [inbox.HEARTBEAT, "generic", inbox.HEARTBEAT]
    assert drain(db) == 3
    with db() as session:
        by_identity = {a.identity: a.status for a in session.scalars(select(Alert))}
    assert by_identity == {"heartbeat:backup": "resolved", "Disk full": "firing"}
    assert _monitor(db).state == "ok"


def test_overdue_alert_fires_when_applied_before_the_next_beat(
    db: sessionmaker[Session],
) -> None:
    """The deadline applied alone raises heartbeat:<slug>; the beat after it resolves it."""
    _beat(db)
    drain(db)
    clock.advance(timedelta(minutes=6))
    _timers(db)
    drain(db)
    with db() as session:
        alert = session.scalars(select(Alert)).one()
    assert (alert.identity, alert.status) == ("heartbeat:backup", "firing")
    assert _monitor(db).state == "overdue"
    _beat(db)
    drain(db)
    with db() as session:
        assert session.scalars(select(Alert.status)).one() == "resolved"
    assert _monitor(db).state == "ok"


def test_beat_waiting_in_the_inbox_wins_over_the_deadline_after_it(
    db: sessionmaker[Session],
) -> None:
    """A beat accepted before the timer fired is applied first and makes the deadline stale."""
    _beat(db)
    drain(db)
    clock.advance(timedelta(minutes=6))
    beat = _beat(db)  # accepted, not yet applied: the timer still sees the old token
    _timers(db)
    assert _sources(db) == [inbox.HEARTBEAT, inbox.HEARTBEAT]
    assert drain(db) == 2
    assert count(db, Alert) == 0
    monitor = _monitor(db)
    assert (monitor.state, monitor.due_at) == ("ok", beat.due_at)


def test_change_event_is_recorded_through_the_inbox(db: sessionmaker[Session]) -> None:
    """A change entry waits in the inbox, then is recorded at its acceptance time."""
    accepted_at = clock.now()
    _accept(db, _change())
    assert count(db, ChangeEvent) == 0 and _sources(db) == [inbox.CHANGE]
    clock.advance(timedelta(seconds=30))
    assert drain(db) == 1
    with db() as session:
        change = session.scalars(select(ChangeEvent)).one()
    assert (change.summary, change.source) == ("Deploy checkout v2", "argocd")
    assert change.occurred_at == accepted_at and change.received_at == accepted_at


@pytest.mark.parametrize(
    ("submission", "broken"),
    [
        (_change(), [{"summary": 5, "details": {}}]),
        (None, [{"heartbeat": "backup", "beat_at": "now"}]),
    ],
    ids=["change", "heartbeat"],
)
def test_broken_entry_is_set_aside_and_retried(
    db: sessionmaker[Session], submission: Submission | None, broken: list[dict[str, Any]]
) -> None:
    """An entry that cannot be applied is kept as failed with its error while the alert
    behind it is applied; once repaired and retried it is applied."""
    if submission is not None:
        [entry] = _accept(db, submission)
    else:
        _beat(db)
        [entry] = run_transaction(db, lambda s: inbox.pending_ids(s, 10))
    _accept(db, _generic("Behind"))
    with session_scope(db) as session:
        stored = session.get(InboxEntry, entry)
        assert stored is not None
        original = stored.events
        session.execute(update(InboxEntry).where(InboxEntry.id == entry).values(events=broken))
    drain(db)
    with db() as session:
        failed = session.scalars(select(InboxEntry)).one()
    assert (failed.id, failed.state, failed.attempts) == (entry, "failed", 1)
    assert failed.last_error is not None and "ValueError" in failed.last_error
    assert count(db, Alert) == 1 and count(db, ChangeEvent) == 0
    with session_scope(db) as session:
        session.execute(update(InboxEntry).where(InboxEntry.id == entry).values(events=original))
        assert inbox.retry_failed(session, entry) == 1
    assert drain(db) == 1 and count(db, InboxEntry) == 0
    if submission is not None:
        assert count(db, ChangeEvent) == 1
    else:
        assert _monitor(db).state == "ok"
