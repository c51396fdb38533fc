"""Sliding-window throttle decisions and digests in plantao.notify.throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantao.notify.throttle import (
    Allow,
    HeldMessage,
    Hold,
    IncidentCount,
    bundle,
    decide,
)

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def minutes_ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


def test_under_the_limit_is_allowed() -> None:
    """Four sends in the last 15 minutes leave room for a fifth."""
    assert decide(minutes_ago(1, 2, 3, 4), NOW, limit=5, window=WINDOW) == Allow()


def test_no_history_is_allowed() -> None:
    """A contact method that never received anything may receive now."""
    assert decide([], NOW) == Allow()


def test_at_the_limit_holds_until_the_oldest_send_leaves_the_window() -> None:
    """With five sends, the hold lasts until the oldest is 15 minutes old."""
    decision = decide(minutes_ago(14, 10, 5, 2, 1), NOW, limit=5, window=WINDOW)
    assert decision == Hold(until=NOW + timedelta(minutes=1))


def test_over_the_limit_waits_for_enough_sends_to_slide_out() -> None:
    """Seven sends against a limit of five wait for three of them to expire."""
    decision = decide(minutes_ago(14, 13, 12, 3, 2, 1, 0.5), NOW, limit=5, window=WINDOW)
    assert decision == Hold(until=NOW + timedelta(minutes=3))


def test_sends_outside_the_window_do_not_count() -> None:
    """A send exactly one window ago has slid out; older ones too."""
    sent = minutes_ago(15, 20, 60, 1, 2, 3, 4)
    assert decide(sent, NOW, limit=5, window=WINDOW) == Allow()


def test_window_slides_rather_than_resetting_on_buckets() -> None:
    """Five sends just before a quarter hour still hold a message just after it."""
    sent = [datetime(2024, 5, 6, 11, 59, s, tzinfo=UTC) for s in range(5)]
    decision = decide(sent, datetime(2024, 5, 6, 12, 0, 30, tzinfo=UTC), limit=5, window=WINDOW)
    assert isinstance(decision, Hold)
    assert decision.until == datetime(2024, 5, 6, 12, 14, 0, tzinfo=UTC)


def test_input_order_does_not_matter() -> None:
    """Unsorted send times give the same decision as sorted ones."""
    sent = minutes_ago(1, 14, 5, 10, 2)
    assert decide(sent, NOW, 5, WINDOW) == decide(sorted(sent), NOW, 5, WINDOW)


def test_held_message_goes_out_when_the_window_opens() -> None:
    """Re-deciding at the hold's until instant allows the message."""
    sent = minutes_ago(14, 10, 5, 2, 1)
    hold = decide(sent, NOW, 5, WINDOW)
    assert isinstance(hold, Hold)
    assert decide(sent, hold.until, 5, WINDOW) == Allow()


def test_invalid_limits_are_rejected() -> None:
    """A limit below one or a non-positive window is a configuration error."""
    with pytest.raises(ValueError, match="limit"):
        decide([], NOW, limit=0)
    with pytest.raises(ValueError, match="window"):
        decide([], NOW, window=timedelta(0))


def test_bundle_counts_per_incident_in_order_of_first_appearance() -> None:
    """The digest counts held messages per incident and keeps the latest subject."""
    held = [
        HeldMessage("INC-2", "disk 91%", NOW + timedelta(minutes=1)),
        HeldMessage("INC-1", "api 5xx", NOW),
        HeldMessage("INC-2", "disk 95%", NOW + timedelta(minutes=3)),
        HeldMessage("INC-1", "api 5xx again", NOW + timedelta(minutes=2)),
        HeldMessage("INC-2", "disk 99%", NOW + timedelta(minutes=4)),
    ]
    digest = bundle(held)
    assert digest.total == 5
    assert digest.incidents == (
        IncidentCount("INC-1", 2, "api 5xx again"),
        IncidentCount("INC-2", 3, "disk 99%"),
    )
    assert digest.first_held_at == NOW
    assert digest.last_held_at == NOW + timedelta(minutes=4)
    assert digest.summary() == "5 held notifications: INC-1 x2, INC-2 x3"


def test_bundle_of_nothing_is_an_error() -> None:
    """Bundling an empty list raises instead of sending an empty digest."""
    with pytest.raises(ValueError, match="nothing"):
        bundle([])
