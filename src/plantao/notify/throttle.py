"""Per contact-method throttles and the digest that replaces held-back messages.

A noisy incident must not bury a phone under fifty SMS, yet nothing may be dropped: a message
over the limit is *held*, and when the window opens the held messages go out as one
:class:`Digest` with counts per incident.

The limit is a sliding window over the previous send times (not fixed buckets), so "5 per
15 minutes" holds for every 15-minute span, including one straddling a bucket edge.
Pure: the caller passes the send times and ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_WINDOW",
    "Allow",
    "Decision",
    "Digest",
    "HeldMessage",
    "Hold",
    "IncidentCount",
    "bundle",
    "decide",
]

DEFAULT_LIMIT = 5
DEFAULT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Allow:
    """Send now."""


@dataclass(frozen=True)
class Hold:
    """Do not send before ``until``; the message joins the next digest."""

    until: datetime


Decision = Allow | Hold


def decide(
    sent_times: Sequence[datetime],
    now: datetime,
    limit: int = DEFAULT_LIMIT,
    window: timedelta = DEFAULT_WINDOW,
) -> Decision:
    """Allow when fewer than ``limit`` sends fall in ``(now - window, now]``, else hold.

    ``until`` is the moment enough old sends slide out of the window for one more message.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if window <= timedelta(0):
        raise ValueError("window must be positive")
    recent = sorted(t for t in sent_times if now - window < t <= now)
    if len(recent) < limit:
        return Allow()
    return Hold(until=recent[len(recent) - limit] + window)


@dataclass(frozen=True)
class HeldMessage:
    """A message that was held back by a throttle."""

    incident_ref: str
    subject: str
    held_at: datetime


@dataclass(frozen=True)
class IncidentCount:
    incident_ref: str
    count: int
    latest_subject: str


@dataclass(frozen=True)
class Digest:
    """One message standing for many: counts per incident, in order of first appearance."""

    total: int
    incidents: tuple[IncidentCount, ...]
    first_held_at: datetime
    last_held_at: datetime

    def summary(self) -> str:
        """A plain, language-neutral one-liner; templates render the real text."""
        parts = ", ".join(f"{c.incident_ref} x{c.count}" for c in self.incidents)
        return f"{self.total} held notifications: {parts}"


def bundle(held_messages: Sequence[HeldMessage]) -> Digest:
    """Group held messages into one digest; an empty list is a programming error."""
    if not held_messages:
        raise ValueError("nothing to bundle")
    ordered = sorted(held_messages, key=lambda m: m.held_at)
    counts: dict[str, int] = {}
    latest: dict[str, str] = {}
    for message in ordered:
        counts[message.incident_ref] = counts.get(message.incident_ref, 0) + 1
        latest[message.incident_ref] = message.subject
    return Digest(
        total=len(ordered),
        incidents=tuple(IncidentCount(ref, n, latest[ref]) for ref, n in counts.items()),
        first_held_at=ordered[0].held_at,
        last_held_at=ordered[-1].held_at,
    )
