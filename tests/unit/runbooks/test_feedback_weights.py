"""Responders' votes become bounded, decaying score adjustments (runbooks.feedback_weights)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from plantao.runbooks.feedback_weights import (
    CAP,
    HALF_LIFE_DAYS,
    NEGLIGIBLE,
    REJECT_WEIGHT,
    Vote,
    adjustments,
    decayed,
    reason,
)
from plantao.runbooks.suggest import THRESHOLD

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _votes(runbook: str, verdict: int, count: int, *, days_ago: float = 0.0) -> list[Vote]:
    return [Vote(runbook, verdict, NOW - timedelta(days=days_ago))] * count


def test_one_confirmation_is_a_nudge() -> None:
    """A single fresh confirmation raises the runbook by about 0.08 of the normalised score."""
    change = adjustments(_votes("disk", 1, 1), NOW)["disk"]
    assert 0.07 <= change <= 0.09


def test_many_confirmations_saturate_at_the_cap() -> None:
    """Fifty confirmations approach the cap but never pass it, and each adds less than the last."""
    steps = [adjustments(_votes("disk", 1, n), NOW)["disk"] for n in (1, 2, 3, 10, 50)]
    assert steps == sorted(steps)
    assert steps[-1] <= CAP
    assert steps[-1] > CAP * 0.99
    assert steps[1] - steps[0] > steps[2] - steps[1]


def test_one_click_cannot_dominate() -> None:
    """One vote moves a runbook by less than a third of what votes can move it at most."""
    assert adjustments(_votes("disk", 1, 1), NOW)["disk"] < CAP / 3
    assert -adjustments(_votes("disk", -1, 1), NOW)["disk"] < CAP / 3


def test_only_many_votes_carry_a_runbook_over_the_bar_alone() -> None:
    """Six fresh hand links put a runbook over the suggestion bar with no word in common with
    the alert; two do not, and neither do six that are two half-lives old."""
    assert adjustments(_votes("disk", 1, 6), NOW)["disk"] >= THRESHOLD
    assert adjustments(_votes("disk", 1, 2), NOW)["disk"] < THRESHOLD
    aged = _votes("disk", 1, 6, days_ago=2 * HALF_LIFE_DAYS)
    assert adjustments(aged, NOW)["disk"] < THRESHOLD


def test_a_vote_halves_each_half_life() -> None:
    """A vote one half-life old weighs half a fresh one, two half-lives a quarter."""
    fresh = decayed(Vote("disk", 1, NOW), NOW)
    one = decayed(Vote("disk", 1, NOW - timedelta(days=HALF_LIFE_DAYS)), NOW)
    two = decayed(Vote("disk", 1, NOW - timedelta(days=2 * HALF_LIFE_DAYS)), NOW)
    assert one == pytest.approx(fresh / 2)
    assert two == pytest.approx(fresh / 4)


def test_old_votes_fade_out() -> None:
    """Votes from a year ago leave no adjustment at all; last week's still do."""
    assert adjustments(_votes("disk", 1, 3, days_ago=365), NOW) == {}
    assert adjustments(_votes("disk", 1, 3, days_ago=7), NOW)["disk"] > NEGLIGIBLE


def test_future_votes_count_as_fresh() -> None:
    """A vote stamped after now (clock skew) weighs what a fresh one weighs, not more."""
    ahead = Vote("disk", 1, NOW + timedelta(days=10))
    assert decayed(ahead, NOW) == decayed(Vote("disk", 1, NOW), NOW)


def test_a_rejection_lowers_less_than_a_confirmation_raises() -> None:
    """One reject lowers a runbook, by less than one confirm raises it."""
    down = adjustments(_votes("dns", -1, 1), NOW)["dns"]
    up = adjustments(_votes("dns", 1, 1), NOW)["dns"]
    assert down < 0
    assert -down < up


def test_confirmations_outweigh_as_many_rejections() -> None:
    """Three confirms and three rejects of one runbook still leave it raised."""
    votes = _votes("dns", 1, 3) + _votes("dns", -1, 3)
    assert adjustments(votes, NOW)["dns"] > 0


def test_many_rejections_are_capped() -> None:
    """However many rejections pile up, the runbook drops by at most the cap."""
    change = adjustments(_votes("dns", -1, 100), NOW)["dns"]
    assert -CAP <= change < -CAP * 0.99


def test_runbooks_are_adjusted_independently() -> None:
    """Votes on one runbook change nothing for another one."""
    found = adjustments(_votes("disk", 1, 2) + _votes("dns", -1, 1), NOW)
    assert set(found) == {"disk", "dns"}
    assert found["disk"] == adjustments(_votes("disk", 1, 2), NOW)["disk"]


def test_cancelling_votes_leave_nothing() -> None:
    """A confirmation aged until it weighs what a fresh rejection weighs is cancelled by it."""
    aged = HALF_LIFE_DAYS * math.log2(1 / REJECT_WEIGHT)
    votes = [Vote("dns", 1, NOW - timedelta(days=aged)), Vote("dns", -1, NOW)]
    assert adjustments(votes, NOW) == {}
    assert adjustments(votes[:1], NOW)["dns"] > NEGLIGIBLE


def test_reason_reads_as_a_signed_share() -> None:
    """The reason code shows the sign and two decimals of the change."""
    assert reason(0.0804) == "feedback:+0.08"
    assert reason(-0.061) == "feedback:-0.06"
