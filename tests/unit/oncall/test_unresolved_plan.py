"""The level maths of escalating an acknowledged incident that stays unresolved: when each
level is due, which are due together, seed 003's defaults, the checks and the risk rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantao.oncall.escalation_plan import PolicySnapshot, Step, Target
from plantao.oncall.unresolved_plan import (
    SEED_LEVELS,
    UnresolvedLevel,
    check_levels,
    describe_after,
    due_at,
    due_now,
    risk_reason,
    seed_levels,
)

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def _steps(n: int) -> tuple[Step, ...]:
    return tuple(Step(timedelta(minutes=5 * i), (Target("user", f"u{i}"),)) for i in range(n))


def test_seed_levels_are_level_2_at_30_min_and_level_3_at_1_h() -> None:
    """Seed 003 §9.2: step 2 after 30 min without resolution, step 3 after an hour."""
    assert (
        UnresolvedLevel(30 * MIN, 2),
        UnresolvedLevel(60 * MIN, 3),
    ) == SEED_LEVELS


@pytest.mark.parametrize(("steps", "expected"), [(1, ()), (2, SEED_LEVELS[:1]), (5, SEED_LEVELS)])
def test_seed_levels_keep_only_steps_the_policy_has(
    steps: int, expected: tuple[UnresolvedLevel, ...]
) -> None:
    """A two-step policy gets level 2 only; a one-step policy none."""
    assert seed_levels(steps) == expected


def test_due_at_counts_from_the_trigger() -> None:
    """Level i is due ``after`` past ``since``; past the last level nothing is due."""
    assert due_at(SEED_LEVELS, T0, 0) == T0 + 30 * MIN
    assert due_at(SEED_LEVELS, T0, 1) == T0 + 60 * MIN
    assert due_at(SEED_LEVELS, T0, 2) is None


def test_due_now_returns_the_levels_due_in_order() -> None:
    """At 29:59 nothing; at 30 level 2; at 1 h from the next index level 3; a late run both."""
    assert due_now(SEED_LEVELS, T0, 0, T0 + 30 * MIN - timedelta(seconds=1)) == []
    assert due_now(SEED_LEVELS, T0, 0, T0 + 30 * MIN) == [0]
    assert due_now(SEED_LEVELS, T0, 1, T0 + 60 * MIN) == [1]
    assert due_now(SEED_LEVELS, T0, 0, T0 + 3 * 60 * MIN) == [0, 1]
    assert due_now(SEED_LEVELS, T0, 2, T0 + 3 * 60 * MIN) == []


@pytest.mark.parametrize(
    ("levels", "problem"),
    [
        ((UnresolvedLevel(timedelta(0), 2),), "[0].after: must be longer than zero"),
        ((UnresolvedLevel(30 * MIN, 1),), "[0].step: the policy has steps 1 to 3; use 2 to 3"),
        ((UnresolvedLevel(30 * MIN, 4),), "[0].step: the policy has steps 1 to 3; use 2 to 3"),
        (
            (UnresolvedLevel(60 * MIN, 2), UnresolvedLevel(30 * MIN, 3)),
            "[1].after: must be later than the level before it",
        ),
        (
            (UnresolvedLevel(30 * MIN, 3), UnresolvedLevel(60 * MIN, 2)),
            "[1].step: must be higher than the level before it",
        ),
    ],
)
def test_check_levels_names_the_level_and_field(
    levels: tuple[UnresolvedLevel, ...], problem: str
) -> None:
    """Each broken rule is reported with the level's index and field."""
    found = check_levels(levels, 3)
    assert found is not None and found.startswith(problem)


def test_check_levels_on_a_one_step_policy_says_why() -> None:
    """A one-step policy has no level to escalate to."""
    found = check_levels(SEED_LEVELS[:1], 1)
    assert found is not None and "the policy has one step" in found
    assert check_levels(SEED_LEVELS, 3) is None
    assert check_levels((), 1) is None


def test_snapshot_keeps_levels_and_omits_the_key_without_them() -> None:
    """Levels survive to_dict/from_dict; a policy without levels stores what it stored before
    they existed (no ``unresolved`` key), and an old body reads as no levels."""
    snapshot = PolicySnapshot(steps=_steps(3), unresolved=SEED_LEVELS)
    body = snapshot.to_dict()
    assert body["unresolved"] == [
        {"after_seconds": 1800, "step": 2},
        {"after_seconds": 3600, "step": 3},
    ]
    assert PolicySnapshot.from_dict(body) == snapshot
    plain = PolicySnapshot(steps=_steps(3)).to_dict()
    assert "unresolved" not in plain
    assert PolicySnapshot.from_dict(plain).unresolved == ()


def test_snapshot_refuses_levels_the_policy_cannot_run() -> None:
    """The backstop: a stored body with a level past the last step is refused."""
    with pytest.raises(ValueError, match=r"unresolved\[1\]\.step"):
        PolicySnapshot(steps=_steps(2), unresolved=SEED_LEVELS)


@pytest.mark.parametrize(
    ("after", "text"),
    [(30 * MIN, "30 min"), (60 * MIN, "1 h"), (90 * MIN, "1 h 30 min"), (2 * 1440 * MIN, "2 d")],
)
def test_describe_after(after: timedelta, text: str) -> None:
    """Durations on the timeline read as people say them."""
    assert describe_after(after) == text


@pytest.mark.parametrize(
    ("category", "posture", "reason"),
    [
        ("security", None, "category security"),
        ("data_leak", "low", "category data_leak"),
        (None, "high", "risk posture high"),
        ("customer_report", "medium", None),
        (None, None, None),
    ],
)
def test_risk_reason(category: str | None, posture: str | None, reason: str | None) -> None:
    """Security and data-leak categories and a high risk posture escalate at once."""
    assert risk_reason(category, posture) == reason
