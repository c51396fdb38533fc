"""Retry schedule with full jitter in plantao.notify.backoff."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from plantao.notify.backoff import BackoffPolicy, is_exhausted, next_attempt_at

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
POLICY = BackoffPolicy(
    base=timedelta(seconds=10), factor=2, cap=timedelta(minutes=5), max_attempts=5
)


class Fixed:
    """A random source that always returns the same draw."""

    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (6, 300), (50, 300)],
)
def test_ceiling_grows_exponentially_up_to_the_cap(attempt: int, ceiling: int) -> None:
    """The largest delay doubles per attempt and stops at the cap."""
    assert POLICY.ceiling(attempt) == timedelta(seconds=ceiling)


def test_full_jitter_scales_the_ceiling_by_the_draw() -> None:
    """A draw of 0.5 waits half the ceiling; a draw of 0 retries at once."""
    assert next_attempt_at(3, NOW, Fixed(0.5), POLICY) == NOW + timedelta(seconds=20)
    assert next_attempt_at(3, NOW, Fixed(0.0), POLICY) == NOW


def test_seeded_rng_stays_within_bounds_and_is_reproducible() -> None:
    """Draws from a seeded Random are within [now, now + ceiling] and repeatable."""
    first = [next_attempt_at(a, NOW, random.Random(7), POLICY) for a in range(1, 9)]
    again = [next_attempt_at(a, NOW, random.Random(7), POLICY) for a in range(1, 9)]
    assert first == again
    for attempt, when in enumerate(first, start=1):
        assert NOW <= when <= NOW + POLICY.ceiling(attempt)


def test_jitter_spreads_retries() -> None:
    """Many messages failing together get different retry times."""
    rng = random.Random(1)
    times = {next_attempt_at(4, NOW, rng, POLICY) for _ in range(50)}
    assert len(times) > 40


def test_retry_after_is_a_floor() -> None:
    """A provider's Retry-After beats a shorter jittered delay but not a longer one."""
    floor = timedelta(seconds=60)
    assert next_attempt_at(1, NOW, Fixed(0.5), POLICY, retry_after=floor) == NOW + floor
    assert next_attempt_at(6, NOW, Fixed(0.5), POLICY, retry_after=floor) == NOW + timedelta(
        seconds=150
    )


def test_budget_is_exhausted_after_max_attempts() -> None:
    """The fifth failed attempt of a five-attempt budget exhausts it."""
    assert not is_exhausted(4, POLICY)
    assert is_exhausted(5, POLICY)
    assert is_exhausted(6, POLICY)


def test_huge_attempt_numbers_do_not_overflow() -> None:
    """An absurd attempt number is capped instead of raising OverflowError."""
    policy = BackoffPolicy(factor=10.0)
    assert policy.ceiling(10_000) == policy.cap


def test_invalid_input_is_rejected() -> None:
    """Attempt numbers start at 1; policies need positive, ordered bounds."""
    with pytest.raises(ValueError, match="start at 1"):
        next_attempt_at(0, NOW, Fixed(0.1), POLICY)
    with pytest.raises(ValueError, match="base"):
        BackoffPolicy(base=timedelta(minutes=10), cap=timedelta(minutes=1))
    with pytest.raises(ValueError, match="max_attempts"):
        BackoffPolicy(max_attempts=0)
