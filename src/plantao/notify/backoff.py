"""Retry schedule for deliveries: exponential backoff with full jitter, a cap, a budget.

Full jitter (a uniform draw in ``[0, min(cap, base * factor**(attempt-1))]``) spreads retries of
many messages that failed together (a provider outage) instead of re-synchronising them into
waves; see the AWS Architecture Blog post "Exponential Backoff And Jitter". The random source is
a parameter so tests pass a seeded ``random.Random``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

__all__ = ["DEFAULT_POLICY", "BackoffPolicy", "RandomSource", "is_exhausted", "next_attempt_at"]


class RandomSource(Protocol):
    def random(self) -> float:
        """A float in ``[0, 1)``."""
        ...


@dataclass(frozen=True)
class BackoffPolicy:
    base: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("need 0 < base <= cap")
        if self.factor < 1:
            raise ValueError("factor must be at least 1")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def ceiling(self, attempt: int) -> timedelta:
        """The largest delay after failed attempt number ``attempt`` (1-based)."""
        cap = self.cap.total_seconds()
        exponent = attempt - 1
        try:
            raw = self.base.total_seconds() * self.factor**exponent
        except OverflowError:
            raw = cap
        return timedelta(seconds=min(cap, raw))


DEFAULT_POLICY = BackoffPolicy()


def is_exhausted(attempt: int, policy: BackoffPolicy = DEFAULT_POLICY) -> bool:
    """Whether ``attempt`` failed attempts use up the budget (the message goes to the DLQ)."""
    return attempt >= policy.max_attempts


def next_attempt_at(
    attempt: int,
    now: datetime,
    rng: RandomSource,
    policy: BackoffPolicy = DEFAULT_POLICY,
    *,
    retry_after: timedelta | None = None,
) -> datetime:
    """When to try again after failed attempt number ``attempt`` (1-based) failed at ``now``.

    A provider's ``Retry-After`` is a floor: retrying earlier only earns another refusal.
    """
    if attempt < 1:
        raise ValueError("attempt numbers start at 1")
    delay = policy.ceiling(attempt) * rng.random()
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + delay
