"""How a status update's promise ("next update by HH:MM") is judged: on time, late, missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plantao.kpis.scope import KpiScope
from plantao.kpis.update_punctuality import (
    LATE,
    MISSED,
    ON_TIME,
    PENDING,
    RELEASED,
    PostedUpdate,
    from_updates,
    judge,
)

T0 = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def _update(
    minute: float, due: float | None, *, resolved: float | None = None, incident: int = 1
) -> PostedUpdate:
    def at(m: float | None) -> datetime | None:
        return None if m is None else T0 + timedelta(minutes=m)

    posted = at(minute)
    assert posted is not None
    return PostedUpdate(incident, "sev1", T0, at(resolved), posted, at(due))


def _outcomes(
    updates: list[PostedUpdate], now_minute: float = 600
) -> list[tuple[str, float | None]]:
    verdicts = judge(updates, T0 + timedelta(minutes=now_minute))
    return [(v.outcome, v.lateness) for v in verdicts]


def test_grace_is_one_minute_inclusive() -> None:
    """Posted at due + 60 s is on time; at due + 61 s it is 61 s late."""
    assert _outcomes([_update(0, 15), _update(16, None)]) == [(ON_TIME, None)]
    assert _outcomes([_update(0, 15), _update(16 + 1 / 60, None)]) == [(LATE, 61.0)]


def test_updates_without_a_promise_are_not_judged() -> None:
    """A Sev4 update (no next time) or a correction after resolving promises nothing."""
    assert _outcomes([_update(0, None), _update(300, None)]) == []


def test_resolving_before_the_due_time_releases_the_promise() -> None:
    """Resolved at 10 with an update due at 15: nothing more was owed, even if one came late."""
    updates = [_update(0, 15, resolved=10), _update(40, None, resolved=10)]
    assert _outcomes(updates) == [(RELEASED, None)]


def test_resolving_after_the_due_time_does_not_excuse_it() -> None:
    """Due at 15, resolved at 30, next update at 35: 20 minutes late."""
    updates = [_update(0, 15, resolved=30), _update(35, None, resolved=30)]
    assert _outcomes(updates) == [(LATE, 1200.0)]


def test_last_promise_is_missed_once_its_time_passed_and_pending_before() -> None:
    """An open incident's last promise: pending until due + grace, missed after."""
    updates = [_update(0, 15)]
    assert _outcomes(updates, now_minute=16) == [(PENDING, None)]
    assert _outcomes(updates, now_minute=16.5) == [(MISSED, None)]


def test_pending_promises_stay_out_of_the_share() -> None:
    """Two kept and the last one pending: 2 promises judged, both on time; once its time has
    passed the last one is missed (2 of 3 on time)."""
    scope = KpiScope(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))
    updates = [_update(0, 15), _update(10, 25), _update(20, 35)]
    report = from_updates(scope, updates, T0 + timedelta(minutes=30))
    assert (report.overall.updates, report.overall.promises) == (3, 2)
    assert report.overall.on_time_share == 1.0
    passed = from_updates(scope, updates, T0 + timedelta(minutes=40))
    assert (passed.overall.missed, passed.overall.on_time_share) == (1, 2 / 3)
