"""Maintenance-window maths and stored schedule layers (pure, no DB)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from plantao.matchers import parse_matchers
from plantao.oncall.layers import build_schedule
from plantao.oncall.rotation import who_is_on_call
from plantao.oncall.window_rules import Recurrence, Window


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_one_off_window_is_half_open() -> None:
    """A one-off window is active from its start up to, not including, its end."""
    window = Window("db", start=_at("2026-12-01T02:00"), end=_at("2026-12-01T04:00"))
    assert window.active_until(_at("2026-12-01T01:59")) is False
    assert window.active_until(_at("2026-12-01T02:00")) == _at("2026-12-01T04:00")
    assert window.active_until(_at("2026-12-01T04:00")) is False


def test_daily_recurrence_crosses_midnight() -> None:
    """A 23:30 + 1h daily window is still active at 00:15 the next day, and ends at 00:30."""
    window = Window("night", recurrence=Recurrence(1, time(23, 30), timedelta(hours=1)))
    assert window.active_until(_at("2026-11-23T00:15")) == _at("2026-11-23T00:30")
    assert window.active_until(_at("2026-11-23T00:30")) is False


def test_recurrence_in_local_time_and_weekdays() -> None:
    """A São Paulo 01:00 window on weekdays only is 04:00 UTC, and skips Sunday."""
    rec = Recurrence(1, time(1, 0), timedelta(minutes=30), "America/Sao_Paulo", frozenset(range(5)))
    window = Window("batch", recurrence=rec)
    assert window.active_until(_at("2026-11-23T04:10")) == _at("2026-11-23T04:30")  # Monday
    assert window.active_until(_at("2026-11-22T04:10")) is False  # Sunday


def test_covers_by_service_or_matchers() -> None:
    """A window covers its services, or incidents with an alert matching all its matchers."""
    by_service = Window("a", services=frozenset({"checkout"}))
    by_labels = Window("b", matchers=tuple(parse_matchers(['job="batch"', "env=~prod.*"])))
    assert by_service.covers("checkout", []) and not by_service.covers("orders", [])
    assert by_labels.covers("orders", [{"job": "x"}, {"job": "batch", "env": "prod-eu"}])
    assert not by_labels.covers("orders", [{"job": "batch", "env": "dev"}])


def test_stored_layers_build_a_dst_correct_schedule() -> None:
    """Stored JSON layers give a schedule whose 09:00 hand-off follows local time."""
    schedule = build_schedule(
        "lisbon",
        "Lisbon",
        "Europe/Lisbon",
        [
            {
                "name": "daily",
                "rotation": {
                    "type": "daily",
                    "every": 1,
                    "handoff": "09:00",
                    "start": "2026-10-24",
                    "participants": ["ana", "bruno"],
                },
                "restrictions": [],
            }
        ],
    )
    assert who_is_on_call(schedule, _at("2026-10-25T08:30")) == ["ana"]
    assert who_is_on_call(schedule, _at("2026-10-25T09:00")) == ["bruno"]
