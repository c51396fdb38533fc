"""The engine's reaction step: escalations start, restart and stop from incident markers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.command import cadence
from plantao.config import Settings
from plantao.db import make_engine, make_sessionmaker, run_transaction, session_scope
from plantao.engine.reactions import ReactionStep, react
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import IncidentReaction
from plantao.intake import inbox
from plantao.intake.sources.generic import parse as parse_generic
from plantao.jobs.models import Job
from plantao.notify import delivery
from plantao.notify.models import Delivery
from plantao.oncall import escalations
from plantao.oncall import service as oncall_service
from plantao.oncall.models import Escalation
from plantao.runbooks.linking import LINK_JOB
from tests.conftest import empty_postgres
from tests.factories.config import apply_config, integration
from tests.factories.inbox import drain
from tests.factories.oncall import (
    ONCALL,
    act,
    ana_mailed_after,
    fire,
    pages,
    settle,
    setup_oncall,
)
from tests.factories.threads import run_together
from tests.integration.helpers import incidents

DELAYED_MAIL = ana_mailed_after("2m")


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
    setup_oncall(factory)
    inc = fire(factory)
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
    loop = setup_oncall(factory, DELAYED_MAIL)
    inc = fire(factory)
    settle(loop)
    assert _deliveries(factory, inc) == [("pending", None)]
    act(factory, inc, Action.ACKNOWLEDGE)
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
    settle(loop)
    assert _escalation(factory, inc)[0] == "stopped"
    assert pages(factory, inc) == [("ana", "step 1 of 3")]


def test_ack_before_the_incident_was_reacted_to_pages_nobody(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Opened and acknowledged before any reaction: the snapshot is kept, stopped, no page."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    clock.advance(timedelta(hours=2))
    settle(loop)
    assert pages(factory, inc) == []
    assert _escalation(factory, inc)[0] == "stopped"


def test_reopen_restarts_from_step_one_of_the_same_snapshot(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A reopen pages step 1 of the policy as it was at trigger time, not as edited since."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    clock.advance(timedelta(minutes=5))
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3"), ("bruno", "step 2 of 3")]
    act(factory, inc, Action.RESOLVE)
    settle(loop)
    apply_config(
        factory, ONCALL.replace("targets: [{schedule: primary}]", "targets: [{user: carla}]")
    )
    act(factory, inc, Action.REOPEN)
    settle(loop)
    assert pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    assert _escalation(factory, inc)[0] == "active"


def test_ack_resolve_reopen_in_one_batch_restart_from_step_one(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Markers reacted to together give what reacting to each in turn gives: step 1 again,
    and the page queued before the ack cancelled."""
    loop = setup_oncall(factory, DELAYED_MAIL)
    inc = fire(factory)
    settle(loop)
    _, token, _ = _escalation(factory, inc)
    for action in (Action.ACKNOWLEDGE, Action.RESOLVE, Action.REOPEN):
        act(factory, inc, action)
    assert run_transaction(factory, react) == 3
    state, restarted, _ = _escalation(factory, inc)
    assert state == "active" and restarted > token
    assert _deliveries(factory, inc) == [("cancelled", "cancelled: resolved by ana")]
    settle(loop)
    assert pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    assert len(pages(factory, inc)) == 2


def test_two_engines_never_start_the_same_escalation_twice(
    postgres_database: str, frozen: datetime
) -> None:
    """Four engines reacting at once (PostgreSQL, SKIP LOCKED) start each escalation once."""
    engine = make_engine(empty_postgres(postgres_database), pool_size=8)
    factory = make_sessionmaker(engine)
    try:
        setup_oncall(factory)
        opened = [fire(factory, name=f"Down{n}") for n in range(40)]
        step = ReactionStep(batch=3)

        def engine_thread(_i: int) -> int:
            done = 0
            while handled := step(factory, "w"):
                done += handled
            return done

        together = run_together(engine_thread, 4)
        assert together.errors == [] and sum(together.results) == 80 and _markers(factory) == 0
        with session_scope(factory) as s:
            found = s.execute(select(Escalation.incident_id, Escalation.token)).tuples()
            tokens = dict(list(found))
            timers = list(s.scalars(select(Job.payload).where(Job.kind == escalations.JOB_KIND)))
        assert tokens == dict.fromkeys(opened, 1)
        assert sorted(p["incident_id"] for p in timers) == sorted(opened)
    finally:
        engine.dispose()


def test_the_inbox_step_starts_escalations_in_its_own_transaction(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Applied by the engine's inbox step, an alert's incident commits with its escalation
    started, its status-update reminder and runbook-link jobs queued, and no opened/alerts
    marker is left behind; an acknowledgement applied in the same batch still leaves its status
    marker for the step."""
    setup_oncall(factory)

    def store(session: Session) -> None:
        key = integration(session, "gen").key
        events, rejected = parse_generic(
            {
                "title": "Down on checkout",
                "dedup_key": "Down",
                "severity": "critical",
                "labels": {"service": "checkout", "alertname": "Down"},
            }
        )
        assert not rejected
        inbox.accept(session, [inbox.Submission(key, "generic", events)])

    run_transaction(factory, store)
    assert drain(factory) == 1
    [inc] = [i.id for i in incidents(factory)]
    assert _escalation(factory, inc) == ("active", 1, 0)
    assert _markers(factory) == 0
    with factory() as s:
        kinds = s.scalars(select(Job.kind).order_by(Job.id)).all()
    assert kinds == [escalations.JOB_KIND, cadence.JOB_KIND, LINK_JOB]
    act(factory, inc, Action.ACKNOWLEDGE)
    assert _markers(factory) == 1  # written: delivery reads it to recognise stale pages
    assert run_transaction(factory, react) == 1
    assert _escalation(factory, inc)[0] == "stopped"
