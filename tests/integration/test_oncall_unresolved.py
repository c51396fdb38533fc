"""Escalating an acknowledged incident that stays unresolved (seed 003 §9), through the real
engine loop with the clock advanced: level 2 at 30 min, level 3 at 1 h, stopped by mitigate or
resolve, at once on a security/data-risk posture, never twice with two engines."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.engine.runner import EngineLoop
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action, Status
from plantao.incidents.models import TimelineEntry
from plantao.jobs.models import Job
from plantao.oncall import escalations, snooze, unresolved
from plantao.runbooks import posture
from tests.factories.oncall import ONCALL, act, fire, oncall_loop, pages, settle, setup_oncall

#: The standard policy (primary → secondary after 5 min → carla after 30) with seed 003's levels.
LEVELS = ONCALL.replace(
    "    fallback: [{user: dora}]\n", "    fallback: [{user: dora}]\n    unresolved: true\n"
)
L2 = ("bruno", "level 2, unresolved 30 min")
L3 = ("carla", "level 3, unresolved 1 h")


def _entries(factory: sessionmaker[Session], incident_id: int) -> list[str]:
    with factory() as s:
        rows = s.execute(
            select(TimelineEntry.message)
            .where(
                TimelineEntry.incident_id == incident_id,
                TimelineEntry.kind.in_(["oncall.unresolved", "oncall.unreached"]),
            )
            .order_by(TimelineEntry.id)
        )
        return list(rows.scalars())


def _acknowledged_at_two_minutes(
    factory: sessionmaker[Session], text: str = LEVELS
) -> tuple[EngineLoop, int]:
    loop = setup_oncall(factory, text)
    inc = fire(factory)
    settle(loop)
    clock.advance(timedelta(minutes=2))
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    return loop, inc


def _set_category(factory: sessionmaker[Session], incident_id: int, category: str) -> None:
    def work(s: Session) -> None:
        incident_service.get(s, incident_id, for_update=True).category = category

    run_transaction(factory, work)


def _record_high_risk(factory: sessionmaker[Session], incident_id: int) -> str:
    """What the risk form and API do: record the posture, then let on-call react at once."""

    def work(s: Session) -> str:
        incident = incident_service.get(s, incident_id, for_update=True)
        posture.record_risk(s, incident, level="high", rationale="card data in logs", actor="ana")
        return unresolved.risk_raised(s, incident)

    return run_transaction(factory, work)


def test_levels_2_at_30_min_and_3_at_1_h_counted_from_the_trigger(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Acknowledged at 2 min and never mitigated: bruno (step 2) at 30 min after the trigger,
    carla (step 3) at 1 h, each on the timeline; nothing more afterwards."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    with factory() as s:
        esc = escalations.get(s, inc)
        assert esc is not None
        assert unresolved.next_level(esc) == (2, frozen + timedelta(minutes=30))
    clock.advance(timedelta(minutes=27, seconds=59))  # 29:59 after the trigger
    settle(loop)
    assert len(pages(factory, inc)) == 1
    clock.advance(timedelta(seconds=1))
    settle(loop)
    assert pages(factory, inc)[1:] == [L2]
    clock.advance(timedelta(minutes=30))
    settle(loop)
    assert pages(factory, inc)[1:] == [L2, L3]
    assert _entries(factory, inc) == [
        "Not resolved after 30 min: escalated to level 2 (paged bruno)",
        "Not resolved after 1 h: escalated to level 3 (paged carla)",
    ]
    clock.advance(timedelta(hours=5))
    settle(loop)
    assert len(pages(factory, inc)) == 3
    with factory() as s:
        esc = escalations.get(s, inc)
        assert esc is not None and esc.unresolved_next == 2 and esc.unresolved_due_at is None
        assert esc.state == "stopped"  # the normal escalation stopped at the ack
        assert incident_service.get(s, inc).status is Status.ACKNOWLEDGED


@pytest.mark.parametrize("action", [Action.MITIGATE, Action.RESOLVE])
def test_mitigate_or_resolve_stops_it(
    factory: sessionmaker[Session], frozen: datetime, action: Action
) -> None:
    """Level 2 paged at 30 min; mitigated (or resolved) at 40 min: level 3 never pages."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    clock.advance(timedelta(minutes=28))
    settle(loop)
    assert pages(factory, inc)[1:] == [L2]
    clock.advance(timedelta(minutes=10))
    act(factory, inc, action)
    settle(loop)
    clock.advance(timedelta(hours=3))
    settle(loop)
    assert pages(factory, inc)[1:] == [L2]
    with factory() as s:
        esc = escalations.get(s, inc)
        assert esc is not None and esc.unresolved_due_at is None and esc.unresolved_since is None


def test_mitigated_before_30_min_pages_nobody_more(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Mitigated at 10 min: the level-2 timer finds a fresh token and pages nobody."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    clock.advance(timedelta(minutes=8))
    act(factory, inc, Action.MITIGATE)
    settle(loop)
    clock.advance(timedelta(hours=2))
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    assert _entries(factory, inc) == []


def test_security_category_escalates_every_level_at_the_acknowledgement(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """An incident in category security: the ack pages level 2 and level 3 at once, and no
    timer pages them again later."""
    loop = setup_oncall(factory, LEVELS)
    inc = fire(factory)
    settle(loop)
    _set_category(factory, inc, "security")
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    assert pages(factory, inc)[1:] == [
        ("bruno", "level 2, category security"),
        ("carla", "level 3, category security"),
    ]
    assert _entries(factory, inc) == [
        "Security/data risk (category security): escalated at once to level 2 (paged bruno)",
        "Security/data risk (category security): escalated at once to level 3 (paged carla)",
    ]
    clock.advance(timedelta(hours=2))
    settle(loop)
    assert len(pages(factory, inc)) == 3


def test_high_risk_posture_recorded_while_acknowledged_escalates_at_once(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Acknowledged, then the responder records a high risk posture at 10 min: levels 2 and 3
    are paged in that same transaction; the 30-min timer later finds nothing left to do."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    clock.advance(timedelta(minutes=8))
    assert _record_high_risk(factory, inc) == "fired"
    assert pages(factory, inc)[1:] == [
        ("bruno", "level 2, risk posture high"),
        ("carla", "level 3, risk posture high"),
    ]
    clock.advance(timedelta(hours=1))
    settle(loop)
    assert len(pages(factory, inc)) == 3
    assert _record_high_risk(factory, inc) == "none"  # nothing pending: no second page


def test_high_risk_posture_recorded_before_the_acknowledgement_counts_at_the_ack(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A high posture recorded while still triggered changes nothing then; the ack escalates."""
    loop = setup_oncall(factory, LEVELS)
    inc = fire(factory)
    settle(loop)
    assert _record_high_risk(factory, inc) == "none"
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    assert [user for user, _ in pages(factory, inc)] == ["ana", "bruno", "carla"]


def test_two_engines_page_level_2_once(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Two engine loops running the due level-2 timer at the same moment page bruno once; the
    same job run again (a lease that expired) finds a stale token."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    other = oncall_loop(factory, worker_id="engine-b")
    with factory() as s:
        esc = escalations.get(s, inc)
        assert esc is not None
        token = esc.unresolved_token
    clock.advance(timedelta(minutes=28))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(engine_loop: EngineLoop) -> None:
        try:
            barrier.wait()
            settle(engine_loop)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(x,)) for x in (loop, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert pages(factory, inc)[1:] == [L2]
    again = run_transaction(factory, lambda s: unresolved.run_timer(s, inc, token))
    assert again == "stale"
    assert _entries(factory, inc) == [
        "Not resolved after 30 min: escalated to level 2 (paged bruno)"
    ]


def test_reopen_counts_again_from_the_reopen(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Level 2 at 30 min, resolved at 40, reopened at 50 (step 1 pages again) and acknowledged:
    level 2 is due 30 min after the reopen, not at once."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    clock.advance(timedelta(minutes=28))
    settle(loop)
    clock.advance(timedelta(minutes=10))
    act(factory, inc, Action.RESOLVE)
    settle(loop)
    clock.advance(timedelta(minutes=10))
    act(factory, inc, Action.REOPEN)
    settle(loop)
    assert pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    clock.advance(timedelta(minutes=29))
    settle(loop)
    assert pages(factory, inc)[1:] == [L2, ("ana", "step 1 of 3")]
    clock.advance(timedelta(minutes=1))
    settle(loop)
    assert pages(factory, inc)[-1] == L2


def test_a_snooze_holds_the_levels_and_keeps_the_trigger_time(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Snoozed for 40 min at 2 min: level 2 waits (no page at 30 min); the snooze's end
    re-triggers (step 1 again) and the next ack, 43 min after the trigger, pages level 2 at
    once; level 3 follows at 1 h."""
    loop, inc = _acknowledged_at_two_minutes(factory)

    def snooze_40(s: Session) -> None:
        snooze.snooze(s, incident_service.get(s, inc, for_update=True), 40, actor="ana")

    run_transaction(factory, snooze_40)
    clock.advance(timedelta(minutes=28))
    settle(loop)
    assert len(pages(factory, inc)) == 1
    clock.advance(timedelta(minutes=12))  # 42 min: the snooze ended
    settle(loop)
    assert pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    clock.advance(timedelta(minutes=1))
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    assert pages(factory, inc)[-1] == L2
    clock.advance(timedelta(minutes=17))
    settle(loop)
    assert pages(factory, inc)[-1] == L3


def test_a_policy_without_levels_escalates_nothing_after_the_ack(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The standard policy declares no ``unresolved`` levels: acknowledged for 3 h, one page."""
    loop, inc = _acknowledged_at_two_minutes(factory, ONCALL)
    clock.advance(timedelta(hours=3))
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    with factory() as s:
        assert s.scalars(select(Job).where(Job.kind == unresolved.JOB_KIND)).all() == []


def test_low_urgency_waits_for_working_hours(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A Sev3 acknowledged on a Sunday: level 2 is deferred to Monday 09:00 São Paulo."""
    loop = setup_oncall(factory, LEVELS)
    inc = fire(factory, severity="warning")
    settle(loop)
    act(factory, inc, Action.ACKNOWLEDGE)
    settle(loop)
    clock.advance(timedelta(minutes=30))
    settle(loop)
    assert pages(factory, inc) == []
    with factory() as s:
        esc = escalations.get(s, inc)
        assert esc is not None
        assert esc.unresolved_due_at == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
        messages = [e.message for e in incident_service.timeline(s, inc)]
    assert any(
        "escalating the unresolved incident deferred to working hours" in m for m in messages
    )


def test_a_level_that_reaches_nobody_says_so_and_the_next_one_still_runs(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Level 2's schedule has nobody on call: the timeline says so at 30 min; level 3 (carla)
    still pages at 1 h."""
    text = LEVELS.replace(
        "- {delay: 5m, targets: [{schedule: secondary}]}",
        "- {delay: 5m, targets: [{schedule: future}]}",
    )
    loop, inc = _acknowledged_at_two_minutes(factory, text)
    clock.advance(timedelta(minutes=28))
    settle(loop)
    clock.advance(timedelta(minutes=30))
    settle(loop)
    assert _entries(factory, inc) == [
        "Level 2, unresolved 30 min reached nobody (schedule 'future' has nobody on call)",
        "Not resolved after 1 h: escalated to level 3 (paged carla)",
    ]
    assert pages(factory, inc)[1:] == [L3]


def test_the_same_timer_run_twice_at_once_fires_once(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Two transactions run the level-2 job with the same token at the same moment (a lease
    that expired while the first still ran): the incident lock orders them, the second finds
    the token moved on, bruno is paged once."""
    loop, inc = _acknowledged_at_two_minutes(factory)
    with factory() as s:
        esc = escalations.get(s, inc)
        assert esc is not None
        token = esc.unresolved_token
    clock.advance(timedelta(minutes=28))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run() -> None:
        barrier.wait()
        outcomes.append(run_transaction(factory, lambda s: unresolved.run_timer(s, inc, token)))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["fired", "stale"]
    assert pages(factory, inc)[1:] == [L2]
    settle(loop)  # the job row itself then finds a stale token too
    assert pages(factory, inc)[1:] == [L2]
