"""Escalation step maths, target resolution and urgency in plantao.oncall.escalation_plan."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import pytest

from plantao.oncall.escalation_plan import (
    DEFAULT_CYCLE_DELAY,
    Cursor,
    CursorKind,
    PolicySnapshot,
    Step,
    Target,
    Urgency,
    WorkingHours,
    advance,
    first,
    next_working_time,
    resolve_targets,
    targets_at,
    urgency_for,
)

T0 = datetime(2024, 5, 6, 14, 32, tzinfo=UTC)
MINUTES = timedelta(minutes=1)


def user(ref: str) -> Target:
    return Target("user", ref)


def schedule(ref: str) -> Target:
    return Target("schedule", ref)


# Seed 002 "Paging": primary at once, no ACK in 5 min -> secondary.
PAGING = PolicySnapshot(
    steps=(
        Step(timedelta(0), (schedule("primary"),)),
        Step(5 * MINUTES, (schedule("secondary"),)),
    )
)

# Seed 003 §9: on-call -> after 30 min tech lead -> after 1 h (30 min more) manager.
CHAIN = PolicySnapshot(
    steps=(
        Step(timedelta(0), (schedule("oncall"),)),
        Step(30 * MINUTES, (user("tech-lead"),)),
        Step(30 * MINUTES, (user("manager"),)),
    ),
    repeat=1,
    fallback=(user("cto"),),
)


def run_without_ack(policy: PolicySnapshot, start: datetime) -> list[tuple[Cursor, datetime]]:
    """Fire every step the moment it is due, as the engine would with nobody acking."""
    fired: list[tuple[Cursor, datetime]] = []
    scheduled = first(policy, start)
    while scheduled.due_at is not None:
        fired.append((scheduled.cursor, scheduled.due_at))
        scheduled = advance(policy, scheduled.cursor, scheduled.due_at)
    return fired


def test_seed_paging_escalates_to_secondary_after_five_minutes() -> None:
    """Primary is paged at trigger time and the secondary 5 minutes later."""
    start = first(PAGING, T0)
    assert start.cursor == Cursor(0, 0)
    assert start.due_at == T0
    following = advance(PAGING, start.cursor, T0)
    assert following.cursor == Cursor(0, 1)
    assert following.due_at == T0 + 5 * MINUTES
    assert targets_at(PAGING, following.cursor) == (schedule("secondary"),)


def test_seed_chain_reaches_manager_after_one_hour() -> None:
    """The seed 003 chain pages on-call at 0, tech lead at 30 min, manager at 60 min."""
    fired = run_without_ack(CHAIN, T0)
    first_pass = [(c.step, due - T0) for c, due in fired if c.repeat == 0]
    assert first_pass == [(0, timedelta(0)), (1, 30 * MINUTES), (2, 60 * MINUTES)]


def test_repeat_then_fallback_then_exhausted() -> None:
    """After two passes the fallback fires once, then the escalation is exhausted."""
    fired = run_without_ack(CHAIN, T0)
    kinds = [(c.kind, c.repeat, c.step) for c, _ in fired]
    assert kinds == [
        (CursorKind.STEP, 0, 0),
        (CursorKind.STEP, 0, 1),
        (CursorKind.STEP, 0, 2),
        (CursorKind.STEP, 1, 0),
        (CursorKind.STEP, 1, 1),
        (CursorKind.STEP, 1, 2),
        (CursorKind.FALLBACK, 1, 2),
    ]
    # the next pass and the fallback wait the last step's delay (30 min), not step 0's zero
    assert fired[3][1] - fired[2][1] == 30 * MINUTES
    assert fired[6][1] - fired[5][1] == 30 * MINUTES
    assert targets_at(CHAIN, fired[6][0]) == (user("cto"),)
    done = advance(CHAIN, fired[6][0], fired[6][1])
    assert done.cursor.kind is CursorKind.EXHAUSTED
    assert done.due_at is None
    assert targets_at(CHAIN, done.cursor) == ()
    assert advance(CHAIN, done.cursor, T0) == done


def test_without_fallback_last_step_leads_to_exhausted() -> None:
    """A policy with no fallback and no repeats is exhausted right after its last step."""
    after_last = advance(PAGING, Cursor(0, 1), T0)
    assert after_last.cursor.kind is CursorKind.EXHAUSTED
    assert after_last.due_at is None


def test_cycle_delay_defaults_to_five_minutes_when_last_delay_is_zero() -> None:
    """A one-step policy with delay 0 repeats after 5 minutes instead of instantly."""
    policy = PolicySnapshot(steps=(Step(timedelta(0), (user("ana"),)),), repeat=2)
    assert advance(policy, Cursor(0, 0), T0).due_at == T0 + DEFAULT_CYCLE_DELAY


def test_explicit_cycle_delay_is_used() -> None:
    """cycle_delay, when set, is the wait before the next pass."""
    policy = PolicySnapshot(steps=PAGING.steps, repeat=1, cycle_delay=timedelta(minutes=15))
    assert advance(policy, Cursor(0, 1), T0).due_at == T0 + timedelta(minutes=15)


def test_reached_nobody_makes_the_next_step_due_at_once() -> None:
    """When a step reached nobody the following step is due at the fire time."""
    following = advance(PAGING, Cursor(0, 0), T0, reached_nobody=True)
    assert following.cursor == Cursor(0, 1)
    assert following.due_at == T0


def test_first_step_delay_counts_from_trigger() -> None:
    """A non-zero first delay postpones the first page."""
    policy = PolicySnapshot(steps=(Step(2 * MINUTES, (user("ana"),)),))
    assert first(policy, T0).due_at == T0 + 2 * MINUTES


def test_cursor_outside_the_policy_is_rejected() -> None:
    """A cursor pointing past the steps or repeats raises ValueError."""
    with pytest.raises(ValueError, match="outside"):
        advance(PAGING, Cursor(0, 5), T0)
    with pytest.raises(ValueError, match="outside"):
        advance(PAGING, Cursor(3, 0), T0)


def test_snapshot_round_trips_through_json() -> None:
    """to_dict -> JSON -> from_dict returns an equal snapshot."""
    text = json.dumps(CHAIN.to_dict())
    assert PolicySnapshot.from_dict(json.loads(text)) == CHAIN
    with_cycle = PolicySnapshot(steps=PAGING.steps, cycle_delay=timedelta(seconds=90.5))
    assert PolicySnapshot.from_dict(json.loads(json.dumps(with_cycle.to_dict()))) == with_cycle


def test_snapshot_dict_is_plain_and_readable() -> None:
    """Delays are stored as seconds and targets as kind/ref pairs."""
    data = PAGING.to_dict()
    assert data["steps"][1] == {
        "delay_seconds": 300,
        "targets": [{"kind": "schedule", "ref": "secondary"}],
    }
    assert data["fallback"] is None


def test_cursor_round_trips_through_dict() -> None:
    """Cursor.to_dict/from_dict preserve repeat, step and kind."""
    cursor = Cursor(1, 2, CursorKind.FALLBACK)
    assert Cursor.from_dict(json.loads(json.dumps(cursor.to_dict()))) == cursor


def test_invalid_snapshots_are_rejected() -> None:
    """Empty steps, negative delays, unknown target kinds and versions raise ValueError."""
    with pytest.raises(ValueError, match="at least one step"):
        PolicySnapshot(steps=())
    with pytest.raises(ValueError, match="negative"):
        Step(-MINUTES, (user("a"),))
    with pytest.raises(ValueError, match="target kind"):
        Target.from_dict({"kind": "team", "ref": "x"})
    with pytest.raises(ValueError, match="version"):
        PolicySnapshot.from_dict({"version": 99, "steps": []})


# --- target resolution -------------------------------------------------------------------


def test_resolve_targets_expands_schedules_and_deduplicates() -> None:
    """Users keep target order, people on several targets appear once."""
    calls: list[tuple[str, datetime]] = []

    def who(ref: str, at: datetime) -> Sequence[str]:
        calls.append((ref, at))
        return {"primary": ["ana", "bia"], "secondary": ["bia", "caio"]}[ref]

    step = Step(timedelta(0), (schedule("primary"), user("ana"), schedule("secondary")))
    resolution = resolve_targets(step, who, T0)
    assert resolution.users == ("ana", "bia", "caio")
    assert resolution.empty_schedules == ()
    assert not resolution.reached_nobody
    assert calls == [("primary", T0), ("secondary", T0)]


def test_resolve_targets_reports_reaching_nobody() -> None:
    """A step whose schedules are all empty reached nobody and names the empty schedules."""
    resolution = resolve_targets([schedule("primary")], lambda ref, at: [], T0)
    assert resolution.reached_nobody
    assert resolution.empty_schedules == ("primary",)


def test_empty_schedule_is_reported_even_when_others_answer() -> None:
    """An empty schedule next to a user target is reported but the step reached someone."""
    resolution = resolve_targets([schedule("night"), user("ana")], lambda ref, at: [], T0)
    assert resolution.users == ("ana",)
    assert resolution.empty_schedules == ("night",)


# --- urgency and working hours -----------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        (1, Urgency.HIGH),
        (2, Urgency.HIGH),
        (3, Urgency.LOW),
        (4, Urgency.LOW),
        ("Sev1", Urgency.HIGH),
        ("sev3", Urgency.LOW),
        ("SEV2", Urgency.HIGH),
        ("4", Urgency.LOW),
    ],
)
def test_urgency_follows_severity(severity: int | str, expected: Urgency) -> None:
    """Sev1/Sev2 are high urgency, Sev3/Sev4 low."""
    assert urgency_for(severity) is expected


@pytest.mark.parametrize("severity", [0, 5, "sev", "critical", "P1"])
def test_unknown_severity_is_rejected(severity: int | str) -> None:
    """Anything but 1-4 raises ValueError instead of guessing an urgency."""
    with pytest.raises(ValueError, match="unknown severity"):
        urgency_for(severity)


SP_HOURS = WorkingHours(tz="America/Sao_Paulo", start=time(9), end=time(18))


def test_inside_working_hours_returns_at() -> None:
    """A Monday 10:00 BRT instant is inside working hours and returned unchanged."""
    at = datetime(2024, 5, 6, 13, tzinfo=UTC)  # 10:00 -03
    assert next_working_time(at, SP_HOURS) == at


def test_before_opening_waits_until_nine_local() -> None:
    """Monday 07:00 BRT waits until 09:00 BRT the same day."""
    assert next_working_time(datetime(2024, 5, 6, 10, tzinfo=UTC), SP_HOURS) == datetime(
        2024, 5, 6, 12, tzinfo=UTC
    )


def test_friday_evening_waits_until_monday() -> None:
    """Friday 19:00 BRT and the weekend wait until Monday 09:00 BRT."""
    monday_nine = datetime(2024, 5, 13, 12, tzinfo=UTC)
    assert next_working_time(datetime(2024, 5, 10, 22, tzinfo=UTC), SP_HOURS) == monday_nine
    assert next_working_time(datetime(2024, 5, 11, 15, tzinfo=UTC), SP_HOURS) == monday_nine
    assert next_working_time(datetime(2024, 5, 13, 12, tzinfo=UTC), SP_HOURS) == monday_nine


def test_closing_time_is_outside_working_hours() -> None:
    """18:00 local exactly is after hours: the next opening is the following day."""
    closing = datetime(2024, 5, 6, 21, tzinfo=UTC)  # 18:00 -03
    assert next_working_time(closing, SP_HOURS) == datetime(2024, 5, 7, 12, tzinfo=UTC)


def test_next_working_time_follows_dst_in_new_york() -> None:
    """Friday night before 2024-03-10 waits for Monday 09:00 EDT, i.e. 13:00 UTC."""
    hours = WorkingHours(tz="America/New_York")
    friday = datetime(2024, 3, 9, 1, tzinfo=UTC)  # Friday 20:00 EST
    assert next_working_time(friday, hours) == datetime(2024, 3, 11, 13, tzinfo=UTC)


def test_invalid_working_hours_are_rejected() -> None:
    """Working hours must end after they start and name real weekdays."""
    with pytest.raises(ValueError, match="end after"):
        WorkingHours(start=time(18), end=time(9))
    with pytest.raises(ValueError, match="weekdays"):
        WorkingHours(weekdays=frozenset({7}))
