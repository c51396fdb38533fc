"""The pure rules of the change-caused KPI: which change caused an incident, which release."""

from __future__ import annotations

from datetime import UTC, datetime

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
