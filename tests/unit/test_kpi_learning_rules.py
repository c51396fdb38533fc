"""The pure rules of the learning KPIs: which change caused an incident, what is on time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from plantao.kpis.adherence import action_outcome, rca_outcome
from plantao.kpis.change_caused import Change, cause_of, release_of

T = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
NOW = T.timestamp()


def change(n: int, minutes_before: float) -> Change:
    return Change(n, 1, NOW - minutes_before * 60)


def test_the_latest_change_in_the_hour_before_is_the_cause() -> None:
    """Of changes 90, 50 and 10 minutes before, the one 10 minutes before is blamed."""
    candidates = [change(1, 90), change(2, 50), change(3, 10)]
    assert cause_of(NOW, None, candidates) == candidates[2]


def test_changes_after_triggering_or_older_than_an_hour_are_not_causes() -> None:
    """A change a minute after, or an hour and a second before, causes nothing."""
    assert cause_of(NOW, None, [change(1, -1)]) is None
    assert cause_of(NOW, None, [change(1, 60 + 1 / 60)]) is None
    assert cause_of(NOW, None, [change(1, 60)]) is not None  # exactly an hour: included
    assert cause_of(NOW, None, [change(1, 0)]) is not None  # at the moment of triggering


def test_the_postmortem_named_change_wins_over_the_window() -> None:
    """The author's verdict replaces the guess, even for a change days before."""
    named = change(9, 60 * 24 * 3)
    assert cause_of(NOW, named, [change(1, 5)]) == named


def test_release_is_the_version_detail_else_the_summary() -> None:
    """A version (top level or in custom_details) names the release; else the summary."""
    assert release_of("deploy api", {"version": "1.4.2"}) == "1.4.2"
    assert release_of("deploy api", {"version": 17}) == "17"
    assert release_of("deploy api", {"custom_details": {"version": "2.1"}}) == "2.1"
    assert release_of("deploy api", {"custom_details": "free text"}) == "deploy api"
    assert release_of("deploy api", {"version": "  "}) == "deploy api"
    assert release_of("  ", {}) == "(no summary)"
    assert len(release_of("x" * 500, None)) == 200


def test_rca_on_time_late_and_pending() -> None:
    """Published by the due time is on time; unpublished is late only once past due."""
    due = T
    assert rca_outcome(due, T, T) == "on_time"
    assert rca_outcome(due, T + timedelta(seconds=1), T) == "late"
    assert rca_outcome(due, None, T + timedelta(hours=1)) == "late"
    assert rca_outcome(due, None, T - timedelta(hours=1)) == "pending"


def test_action_dates_are_compared_in_utc() -> None:
    """Done 23:30 in São Paulo on the due date is the next UTC day: late (documented)."""
    sao_paulo = timezone(timedelta(hours=-3))
    done = datetime(2026, 5, 10, 23, 30, tzinfo=sao_paulo)
    today = date(2026, 6, 1)
    assert action_outcome("done", date(2026, 5, 10), done, today) == "late"
    assert action_outcome("done", date(2026, 5, 11), done, today) == "on_time"


def test_open_and_dropped_actions() -> None:
    """Open past due is late, open before due is pending, won't-do is dropped."""
    due = date(2026, 5, 10)
    assert action_outcome("open", due, None, date(2026, 5, 11)) == "late"
    assert action_outcome("in_progress", due, None, due) == "pending"
    assert action_outcome("wont_do", due, None, date(2026, 6, 1)) == "dropped"
