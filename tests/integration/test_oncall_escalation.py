"""Escalation through the real engine loop, with the clock advanced by the test."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.engine.reactions import react
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import TimelineEntry
from plantao.jobs import service as job_service
from plantao.oncall import escalations
from plantao.oncall import service as oncall_service
from tests.factories.config import apply_config
from tests.factories.oncall import (
    ONCALL,
    act,
    ana_mailed_after,
    fire,
    pages,
    settle,
    setup_oncall,
)


def _messages(
    factory: sessionmaker[Session], incident_id: int, prefix: str = "oncall."
) -> list[str]:
    with factory() as s:
        rows = s.execute(
            select(TimelineEntry.kind, TimelineEntry.message)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.id)
        )
        return [m for k, m in rows.tuples() if k.startswith(prefix)]


def test_unacknowledged_sev1_walks_steps_repeats_then_fallback(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Step 1 at once, step 2 after 5 min, step 3 after 30 more, a repeat pass, the fallback."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    clock.advance(timedelta(minutes=4))
    settle(loop)
    assert len(pages(factory, inc)) == 1
    for minutes in (1, 30, 30, 5, 30, 30):
        clock.advance(timedelta(minutes=minutes))
        settle(loop)
    assert pages(factory, inc) == [
        ("ana", "step 1 of 3"),
        ("bruno", "step 2 of 3"),
        ("carla", "step 3 of 3"),
        ("ana", "step 1 of 3, repeat 1/1"),
        ("bruno", "step 2 of 3, repeat 1/1"),
        ("carla", "step 3 of 3, repeat 1/1"),
        ("dora", "fallback"),
    ]
    messages = _messages(factory, inc)
    assert messages[0] == "Paged ana (step 1 of 3)"
    assert "Paged ana (step 1 of 3, repeat 1/1)" in messages
    assert messages[-2].startswith("Escalation policy 'payments' exhausted without acknowledgement")
    assert messages[-1] == "Paged dora (fallback)"
    clock.advance(timedelta(hours=5))
    settle(loop)  # only status-update reminders are left to run: nobody is paged again
    assert len(pages(factory, inc)) == 7
    with factory() as s:
        esc = oncall_service.escalations.get(s, inc)
        assert esc is not None and esc.state == "exhausted"


def test_pages_reach_the_notify_outbox(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A page goes through notify.paging.page_user, which writes delivery rows."""
    contacts = ana_mailed_after("0m")
    loop = setup_oncall(factory, contacts)
    inc = fire(factory)
    settle(loop)
    with factory() as s:
        rows = s.execute(
            select(TimelineEntry.kind).where(TimelineEntry.incident_id == inc)
        ).scalars()
        kinds = list(rows)
    assert "oncall.paged" in kinds
    from plantao.notify import outbox_admin

    with factory() as s:
        deliveries = outbox_admin.list_deliveries(s, incident_id=inc)
    assert deliveries, "page_user wrote no outbox row"


def test_acknowledgement_stops_escalation(factory: sessionmaker[Session], frozen: datetime) -> None:
    """After an ack no later step fires, and the timeline shows who acknowledged."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    act(factory, inc, Action.ACKNOWLEDGE)
    clock.advance(timedelta(hours=3))
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    with factory() as s:
        esc = oncall_service.escalations.get(s, inc)
        assert esc is not None and esc.state == "stopped"
        acks = [e for e in incident_service.timeline(s, inc) if e.kind == "incident.acknowledged"]
    assert acks[0].actor == "ana"


def test_acknowledgement_cancels_delayed_notifications(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A rule due later (e-mail after 2 min) is cancelled when the incident is acknowledged."""
    contacts = ana_mailed_after("2m")
    loop = setup_oncall(factory, contacts)
    inc = fire(factory)
    settle(loop)
    from plantao.notify import outbox_admin

    with factory() as s:
        assert [d.state for d in outbox_admin.list_deliveries(s, incident_id=inc)] == ["pending"]
    act(factory, inc, Action.ACKNOWLEDGE)
    assert run_transaction(factory, react) == 1  # the engine's reaction step
    with factory() as s:
        assert [d.state for d in outbox_admin.list_deliveries(s, incident_id=inc)] == ["cancelled"]
        [row] = outbox_admin.list_deliveries(s, incident_id=inc)
        assert row.last_error == "cancelled: acknowledged by ana"


def test_resolve_then_reopen_restarts_from_step_one(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Resolve stops everything; reopening pages step 1 again from the same snapshot."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    act(factory, inc, Action.RESOLVE)
    clock.advance(timedelta(minutes=10))
    settle(loop)
    assert len(pages(factory, inc)) == 1
    act(factory, inc, Action.REOPEN)
    settle(loop)
    assert pages(factory, inc)[-1] == ("ana", "step 1 of 3")
    assert len(pages(factory, inc)) == 2


def test_policy_edit_does_not_change_a_running_escalation(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Re-applying plantao.yaml with other steps leaves the snapshot of an open incident alone."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    edited = ONCALL.replace(
        "- {delay: 5m, targets: [{schedule: secondary}]}", "- {delay: 1m, targets: [{user: carla}]}"
    )
    apply_config(factory, edited)
    clock.advance(timedelta(minutes=1))
    settle(loop)
    assert len(pages(factory, inc)) == 1
    clock.advance(timedelta(minutes=4))
    settle(loop)
    assert pages(factory, inc)[-1] == ("bruno", "step 2 of 3")
    new = fire(factory, name="Other")
    settle(loop)
    clock.advance(timedelta(minutes=1))
    settle(loop)
    assert pages(factory, new) == [("ana", "step 1 of 3"), ("carla", "step 2 of 3")]


def test_empty_schedule_is_recorded_and_next_step_runs_at_once(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A step whose schedule has nobody on call is on the timeline; the next one fires now."""
    text = ONCALL.replace(
        "- {delay: 0m, targets: [{schedule: primary}]}",
        "- {delay: 0m, targets: [{schedule: future}]}",
    )
    loop = setup_oncall(factory, text)
    inc = fire(factory)
    settle(loop)
    assert pages(factory, inc) == [("bruno", "step 2 of 3")]
    messages = _messages(factory, inc)
    assert messages[0] == "Step 1 of 3 reached nobody (schedule 'future' has nobody on call)"
    assert messages[1] == "Paged bruno (step 2 of 3)"


def test_sev3_outside_working_hours_is_deferred(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A Sev3 on a Sunday waits for Monday 09:00 São Paulo, then pages whoever is on call then
    (the weekly hand-off to bruno happens at that same instant) with low urgency."""
    loop = setup_oncall(factory)
    inc = fire(factory, severity="warning")
    settle(loop)
    assert pages(factory, inc) == []
    assert _messages(factory, inc)[0].startswith("Low urgency (sev3): paging deferred")
    clock.advance(timedelta(hours=23, minutes=59))
    settle(loop)
    assert pages(factory, inc) == []
    clock.advance(timedelta(minutes=1))
    settle(loop)
    with factory() as s:
        paged = oncall_service.pages(s, inc)
    assert [(p[2], p[3]) for p in paged] == [("bruno", "low")]


def test_maintenance_window_suppresses_paging(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """An incident inside a maintenance window is recorded but nobody is paged until it ends."""
    window = (
        "maintenance_windows:\n"
        "  - {name: db upgrade, start: 2026-11-22T11:00:00Z, end: 2026-11-22T13:00:00Z,"
        " services: [checkout]}\n"
    )
    loop = setup_oncall(factory, ONCALL + window)
    inc = fire(factory)
    settle(loop)
    assert pages(factory, inc) == []
    assert _messages(factory, inc) == ["Paging suppressed by maintenance window 'db upgrade'"]
    clock.advance(timedelta(hours=1))
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]


def test_recurring_window_by_matchers(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A daily window selected by label matchers suppresses only the alerts it matches."""
    window = (
        "maintenance_windows:\n"
        "  - name: nightly batch\n"
        "    recurrence: {every: 1d, start: '11:30', duration: 1h, time_zone: UTC}\n"
        "    matchers: ['alertname=\"Batch\"']\n"
    )
    loop = setup_oncall(factory, ONCALL + window)
    batch = fire(factory, name="Batch")
    other = fire(factory, name="Other")
    settle(loop)
    assert pages(factory, batch) == []
    assert _messages(factory, batch) == ["Paging suppressed by maintenance window 'nightly batch'"]
    assert pages(factory, other) == [("ana", "step 1 of 3")]


def test_stale_or_duplicated_timer_does_nothing(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A timer carrying an old fencing token is dropped without paging."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)

    def duplicates(s: Session) -> None:
        for token in (0, 1):  # the first timer's token, replayed twice
            job_service.enqueue(s, escalations.JOB_KIND, {"incident_id": inc, "token": token})

    run_transaction(factory, duplicates)
    settle(loop)
    assert pages(factory, inc) == [("ana", "step 1 of 3")]
    assert run_transaction(factory, lambda s: oncall_service.run_timer(s, inc, 1)) == "stale"


def test_escalate_now_fires_the_next_step(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A person's escalate request pages the next step at once, on the timeline with the actor."""
    loop = setup_oncall(factory)
    inc = fire(factory)
    settle(loop)
    run_transaction(factory, lambda s: oncall_service.escalate_now(s, inc, "ana"))
    assert pages(factory, inc)[-1] == ("bruno", "step 2 of 3")
    assert _messages(factory, inc)[-1] == "Paged bruno (step 2 of 3) by ana"
    clock.advance(timedelta(minutes=30))
    settle(loop)
    assert pages(factory, inc)[-1] == ("carla", "step 3 of 3")
