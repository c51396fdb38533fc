"""Snooze through the real engine: an acknowledged incident pages again when the snooze ends,
from a durable job (a fresh engine finds it), and only the newest snooze still in force ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.errors import Conflict, ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action, Status
from plantao.incidents.models import TimelineEntry
from plantao.jobs.models import Job
from plantao.oncall import snooze
from tests.factories.oncall import act, fire, oncall_loop, pages, settle, setup_oncall


def _snooze(factory: sessionmaker[Session], incident_id: int, minutes: int) -> snooze.Snooze:
    def work(s: Session) -> snooze.Snooze:
        incident = incident_service.get(s, incident_id, for_update=True)
        return snooze.snooze(s, incident, minutes, actor="ana")

    return run_transaction(factory, work)


def _status(factory: sessionmaker[Session], incident_id: int) -> Status:
    with factory() as s:
        return incident_service.get(s, incident_id).status


def _entries(factory: sessionmaker[Session], incident_id: int) -> list[tuple[str, str, str]]:
    with factory() as s:
        rows = s.execute(
            select(TimelineEntry.kind, TimelineEntry.actor, TimelineEntry.message)
            .where(
                TimelineEntry.incident_id == incident_id,
                TimelineEntry.kind.in_([snooze.SNOOZED, snooze.ENDED]),
            )
            .order_by(TimelineEntry.id)
        )
        return [(k, a, m) for k, a, m in rows.tuples()]


def test_snooze_ends_by_the_engine_and_pages_again_from_step_one(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Acknowledged, snoozed 30 min: nothing at 29 min; at 30 min a fresh engine (the job is in
    the database, not in memory) turns it back to triggered and step 1 pages ana again."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    _snooze(factory, inc, 30)
    with factory() as s:
        [job] = s.scalars(select(Job).where(Job.kind == snooze.JOB_KIND))
        assert job.due_at == frozen + timedelta(minutes=30) and job.state == "pending"
        assert snooze.current(s, incident_service.get(s, inc)) is not None
    clock.advance(timedelta(minutes=29))
    settle(loop)
    assert _status(factory, inc) is Status.ACKNOWLEDGED
    assert len(pages(factory, inc)) == 1
    restarted = oncall_loop(factory)  # another engine process: only the database remembers
    clock.advance(timedelta(minutes=1))
    settle(restarted)
    assert _status(factory, inc) is Status.TRIGGERED
    assert pages(factory, inc) == [("ana", "step 1 of 3"), ("ana", "step 1 of 3")]
    assert _entries(factory, inc) == [
        (snooze.SNOOZED, "ana", "Snoozed for 30 min by ana"),
        (
            snooze.ENDED,
            "plantao",
            "Snooze ended: the incident is triggered again and paging restarts",
        ),
    ]
    with factory() as s:
        assert snooze.current(s, incident_service.get(s, inc)) is None
        incident = incident_service.get(s, inc)
        assert incident.acknowledged_at == frozen  # the first response stays on record
    clock.advance(timedelta(minutes=5))
    settle(restarted)
    assert pages(factory, inc)[-1] == ("bruno", "step 2 of 3")  # the escalation runs on


def test_a_new_snooze_replaces_the_one_in_force(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Snoozed for 30 min, then for 60: the first job finds itself replaced and does nothing."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    _snooze(factory, inc, 30)
    clock.advance(timedelta(minutes=10))
    _snooze(factory, inc, 60)
    clock.advance(timedelta(minutes=25))
    settle(loop)
    assert _status(factory, inc) is Status.ACKNOWLEDGED
    clock.advance(timedelta(minutes=35))
    settle(loop)
    assert _status(factory, inc) is Status.TRIGGERED
    assert [kind for kind, _, _ in _entries(factory, inc)] == [
        snooze.SNOOZED,
        snooze.SNOOZED,
        snooze.ENDED,
    ]


def test_resolving_during_a_snooze_cancels_it(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Resolved while snoozed: the snooze's end changes nothing and pages nobody."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    _snooze(factory, inc, 15)
    act(factory, inc, Action.RESOLVE)
    clock.advance(timedelta(minutes=15))
    settle(loop)
    assert _status(factory, inc) is Status.RESOLVED
    assert len(pages(factory, inc)) == 1
    assert [kind for kind, _, _ in _entries(factory, inc)] == [snooze.SNOOZED]
    with factory() as s:
        [job] = s.scalars(select(Job).where(Job.kind == snooze.JOB_KIND))
        assert job.state == "done"


def test_only_acknowledged_incidents_snooze_for_1_to_1440_minutes(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A triggered incident cannot be snoozed (409); 0 or 1441 minutes are refused (422)."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    with pytest.raises(Conflict, match="only an acknowledged incident can be snoozed"):
        _snooze(factory, inc, 30)
    act(factory, inc, Action.ACKNOWLEDGE)
    for minutes in (0, 1441):
        with pytest.raises(ValidationFailed, match="snooze for 1 to 1440 minutes"):
            _snooze(factory, inc, minutes)
    assert _snooze(factory, inc, 1440).until == frozen + timedelta(days=1)
