"""The engine's reaction step: escalations start, restart and stop from incident markers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import make_engine, make_sessionmaker, run_transaction, session_scope
from plantao.engine.reactions import ReactionStep, react
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import IncidentReaction
from plantao.jobs.models import Job
from plantao.notify import delivery
from plantao.notify.models import Delivery
from plantao.oncall import escalations
from plantao.oncall import service as oncall_service
from plantao.oncall.models import Escalation
from tests.conftest import empty_postgres
from tests.integration.test_oncall_escalation import (
    ONCALL,
    _act,
    _apply,
    _drain,
    _fire,
    _pages,
    _setup,
)

DELAYED_MAIL = ONCALL.replace(
    "{handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}",
    "{handle: ana, name: Ana, contact_methods: [{name: mail, type: email, "
    "address: ana@example.com}], notification_rules: [{contact: mail, after: 2m}]}",
)


def _escalation(factory: sessionmaker[Session], incident_id: int) -> tuple[str, int, int]:
    with factory() as s:
        esc = oncall_service.escalations.get(s, incident_id)
        assert esc is not None
        return esc.state, esc.token, esc.fired


def _deliveries(factory: sessionmaker[Session], incident_id: int) -> list[tuple[str, str | None]]:
    with factory() as s:
        rows = s.execute(
            select(Delivery.state, Delivery.last_error)
            .where(Delivery.incident_id == incident_id)
            .order_by(Delivery.id)
        )
        return [(state, error) for state, error in rows.tuples()]


def _markers(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(IncidentReaction)) or 0)


def test_an_opened_incident_waits_for_the_reaction_step(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Opening writes markers, not escalations; the step starts it and deletes the markers."""
    _setup(factory)
    inc = _fire(factory)
    with factory() as s:
        assert s.get(Escalation, inc) is None
    assert _markers(factory) == 2  # opened, alerts attached
    assert run_transaction(factory, react) == 2
    assert _escalation(factory, inc) == ("active", 1, 0)
    assert _markers(factory) == 0
    assert run_transaction(factory, react) == 0


def test_ack_before_the_reaction_step_ran_never_pages(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A page queued before an ack is cancelled at lease time, before any reaction ran."""
    loop = _setup(factory, DELAYED_MAIL)
    inc = _fire(factory)
    _drain(loop)
    assert _deliveries(factory, inc) == [("pending", None)]
    _act(factory, inc, Action.ACKNOWLEDGE)
    clock.advance(timedelta(minutes=3))  # the e-mail rule is due now
    leased = run_transaction(
        factory,
        lambda s: delivery.lease_due(
            s, Settings(env="test"), "w1", limit=10, lease=timedelta(seconds=30)
        ),
    )
    assert leased == []
    assert _deliveries(factory, inc) == [("cancelled", delivery.STALE)]
    assert _escalation(factory, inc)[0] == "active"  # the reaction step has not run yet
    _drain(loop)
    assert _escalation(factory, inc)[0] == "stopped"
    assert _pages(factory, inc) == [("ana", "step 1 of 3")]


def test_ack_before_the_incident_was_reacted_to_pages_nobody(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Opened and acknowledged before any reaction: the snapshot is kept, stopped, no page."""
    loop = _setup(factory)
    inc = _fire(factory)
    _act(factory, inc, Action.ACKNOWLEDGE)
    _drain(loop)
    clock.advance(timedelta(hours=2))
    _drain(loop)
    assert _pages(factory, inc) == []
    assert _escalation(factory, inc)[0] == "stopped"


def test_reopen_restarts_from_step_one_of_the_same_snapshot(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A reopen pages step 1 of the policy as it was at trigger time, not as edited since."""
    loop = _setup(factory)
    inc = _fire(factory)
    _drain(loop)
    clock.advance(timedelta(minutes=5))
    _drain(loop)
    assert _pages(factory, inc) == [("ana", "step 1 of 3"), ("bruno", "step 2 of 3")]
    _act(factory, inc, Action.RESOLVE)
    _drain(loop)
    _apply(factory, ONCALL.replace("targets: [{schedule: primary}]", "targets: [{user: carla}]"))
    _act(factory, inc, Action.REOPEN)
    _drain(loop)
    assert _pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    assert _escalation(factory, inc)[0] == "active"


def test_ack_resolve_reopen_in_one_batch_restart_from_step_one(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Markers reacted to together give what reacting to each in turn gives: step 1 again,
    and the page queued before the ack cancelled."""
    loop = _setup(factory, DELAYED_MAIL)
    inc = _fire(factory)
    _drain(loop)
    _, token, _ = _escalation(factory, inc)
    for action in (Action.ACKNOWLEDGE, Action.RESOLVE, Action.REOPEN):
        _act(factory, inc, action)
    assert run_transaction(factory, react) == 3
    state, restarted, _ = _escalation(factory, inc)
    assert state == "active" and restarted > token
    assert _deliveries(factory, inc) == [("cancelled", "cancelled: resolved by ana")]
    _drain(loop)
    assert _pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    assert len(_pages(factory, inc)) == 2


def test_two_engines_never_start_the_same_escalation_twice(
    postgres_database: str, frozen: datetime
) -> None:
    """Four engines reacting at once (PostgreSQL, SKIP LOCKED) start each escalation once."""
    engine = make_engine(empty_postgres(postgres_database), pool_size=8)
    factory = make_sessionmaker(engine)
    try:
        _setup(factory)
        opened = [_fire(factory, name=f"Down{n}") for n in range(40)]
        step = ReactionStep(batch=3)
        done: list[int] = []
        errors: list[BaseException] = []

        def engine_thread() -> None:
            try:
                while handled := step(factory, "w"):
                    done.append(handled)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=engine_thread) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and sum(done) == 80 and _markers(factory) == 0
        with session_scope(factory) as s:
            found = s.execute(select(Escalation.incident_id, Escalation.token)).tuples()
            tokens = dict(list(found))
            timers = list(s.scalars(select(Job.payload).where(Job.kind == escalations.JOB_KIND)))
        assert tokens == dict.fromkeys(opened, 1)
        assert sorted(p["incident_id"] for p in timers) == sorted(opened)
    finally:
        engine.dispose()
