"""The weekly operational review: ISO weeks in a team's zone, send moments, and the Markdown
in both languages (pure, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from plantao.postmortems import iso_weeks
from plantao.postmortems.iso_weeks import IsoWeek, SendTime
from plantao.postmortems.weekly_facts import (
    ActionLine,
    Figure,
    GateBlockRow,
    IncidentLine,
    PostmortemLine,
    SeverityRow,
    WeeklyFacts,
    as_json,
    redacted,
)
from plantao.postmortems.weekly_render import cell, render, span

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _facts(**changes: object) -> WeeklyFacts:
    major = (
        IncidentLine(
            1,
            "INC-20261201-1",
            "Checkout down | EU",
            "sev1",
            "resolved",
            False,
            "pay",
            T0,
            T0 + timedelta(minutes=50),
        ),
        IncidentLine(
            2,
            "INC-20261202-1",
            "Leaked token",
            "sev2",
            "acknowledged",
            True,
            "auth",
            T0 + timedelta(days=1),
            None,
        ),
    )
    pm = PostmortemLine(
        1,
        "INC-20261201-1",
        "Checkout down | EU",
        "sev1",
        False,
        "draft",
        T0 + timedelta(days=2),
        None,
        "ana",
    )
    action = ActionLine(
        2,
        "AC-07",
        "INC-20261202-1",
        "Rotate keys",
        True,
        "sev2",
        "open",
        True,
        date(2026, 12, 3),
        None,
        None,
    )
    base = WeeklyFacts(
        week="2026-W49",
        previous_week="2026-W48",
        next_week="2026-W50",
        starts_at=datetime(2026, 11, 30, 3, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
        time_zone="America/Sao_Paulo",
        team="payments",
        team_name="Payments",
        generated_at=datetime(2026, 12, 7, 12, 0, tzinfo=UTC),
        complete=True,
        incidents=Figure(3, 1),
        severities=(
            SeverityRow("sev1", Figure(1, 0), 0, 240, 3000, 300, 3600),
            SeverityRow("sev2", Figure(1, 1), 1, 1200, None, 900, 14400),
            SeverityRow("sev3", Figure(1, 0), 0, None, None, 3600, 86400),
            SeverityRow("sev4", Figure(0, 0), 0, None, None, None, None),
        ),
        major_incidents=major,
        postmortems_due=(pm,),
        postmortems_due_count=Figure(1, 2),
        postmortems_overdue=(pm,),
        postmortems_published=(),
        postmortems_published_count=Figure(0, 0),
        actions_due=(action,),
        actions_due_count=Figure(1, 0),
        actions_overdue=(action,),
        actions_done=(),
        actions_done_count=Figure(0, 3),
        must_fix_open=(action,),
        gate_blocks=(GateBlockRow("pay", "Payments API", 2, ("AC-07",), ()),),
        gate_blocks_count=Figure(2, 0),
    )
    return base if not changes else __import__("dataclasses").replace(base, **changes)


def test_week_parses_and_names_itself() -> None:
    """`2026-W49` parses to the week that starts on Monday 30 November 2026 and prints back."""
    week = iso_weeks.parse("2026-W49")
    assert week.monday == date(2026, 11, 30)
    assert str(week) == "2026-W49"
    assert str(week.shifted(-1)) == "2026-W48"


@pytest.mark.parametrize("text", ["2026-49", "2026W49", "2026-W00", "2026-W54", "2025-W53", ""])
def test_bad_weeks_are_refused(text: str) -> None:
    """Malformed weeks and weeks the year does not have (2025 has 52) are ValueErrors."""
    with pytest.raises(ValueError, match=r"ISO week|no ISO week"):
        iso_weeks.parse(text)


def test_week_53_exists_in_a_long_year_and_is_followed_by_week_1() -> None:
    """2026 has 53 ISO weeks: W53 runs 28 Dec 2026 – 3 Jan 2027 and is followed by 2027-W01."""
    week = iso_weeks.parse("2026-W53")
    assert week.days() == (date(2026, 12, 28), date(2027, 1, 3))
    assert str(week.shifted(1)) == "2027-W01"
    assert str(iso_weeks.parse("2027-W01").shifted(-1)) == "2026-W53"


def test_week_crossing_new_year_belongs_to_the_iso_year_of_its_thursday() -> None:
    """1 January 2026 (a Thursday) is in 2026-W01, which starts on 29 December 2025."""
    week = iso_weeks.of_day(date(2026, 1, 1))
    assert str(week) == "2026-W01"
    assert week.monday == date(2025, 12, 29)
    assert str(iso_weeks.of_day(date(2025, 12, 28))) == "2025-W52"


def test_week_bounds_are_local_midnights_in_the_zone() -> None:
    """A São Paulo week starts Monday 00:00 there (03:00 UTC) and lasts 168 h."""
    start, end = iso_weeks.parse("2026-W49").bounds("America/Sao_Paulo")
    assert start == datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=168)


def test_dst_weeks_are_an_hour_shorter_or_longer() -> None:
    """Berlin's spring-forward week is 167 h, its fall-back week 169 h; São Paulo's 2018 DST
    start (midnight skipped on a Sunday) made that week 167 h."""
    spring = iso_weeks.parse("2026-W13").bounds("Europe/Berlin")
    autumn = iso_weeks.parse("2026-W43").bounds("Europe/Berlin")
    assert spring[1] - spring[0] == timedelta(hours=167)
    assert autumn[1] - autumn[0] == timedelta(hours=169)
    sp = iso_weeks.parse("2018-W44").bounds("America/Sao_Paulo")
    assert sp[1] - sp[0] == timedelta(hours=167)
    assert sp[1] == datetime(2018, 11, 5, 2, 0, tzinfo=UTC)


def test_a_moment_belongs_to_its_local_week() -> None:
    """Sunday 23:30 in São Paulo is already Monday in UTC, but still the old week there."""
    moment = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)  # Sunday 6 Dec 23:30 in São Paulo
    assert str(iso_weeks.of_moment(moment, "America/Sao_Paulo")) == "2026-W49"
    assert str(iso_weeks.of_moment(moment, "UTC")) == "2026-W50"
    assert str(iso_weeks.last_complete(moment, "UTC")) == "2026-W49"


def test_send_moments_are_the_configured_weekday_and_time_in_the_zone() -> None:
    """Monday 09:00 in São Paulo is 12:00 UTC; the last and next moments bracket now, and the
    review sent then is about the week that just ended."""
    send = SendTime("monday", time(9, 0))
    now = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # Wednesday
    last = iso_weeks.last_send(now, send, "America/Sao_Paulo")
    assert last == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert iso_weeks.next_send(now, send, "America/Sao_Paulo") == last + timedelta(days=7)
    assert str(iso_weeks.reported_week(last, "America/Sao_Paulo")) == "2026-W49"
    exactly = iso_weeks.last_send(last, send, "America/Sao_Paulo")
    assert exactly == last
    assert iso_weeks.next_send(last, send, "America/Sao_Paulo") == last + timedelta(days=7)


def test_send_time_and_weekday_are_validated() -> None:
    """A time must be HH:MM (or HH:MM:SS) and a weekday one of monday..sunday."""
    assert iso_weeks.parse_time("09:30") == time(9, 30)
    assert iso_weeks.parse_time("09:30:15") == time(9, 30, 15)
    for bad in ("9h", "24:00", "09:60", "09:30:60"):
        with pytest.raises(ValueError, match="time of day"):
            iso_weeks.parse_time(bad)
    with pytest.raises(ValueError, match="weekday"):
        SendTime("mon")


def test_week_type_refuses_weeks_the_year_lacks() -> None:
    """IsoWeek(2025, 53) is refused: 2025 has 52 ISO weeks."""
    with pytest.raises(ValueError, match="no ISO week 53"):
        IsoWeek(2025, 53)


def test_figures_say_their_trend() -> None:
    """A figure higher than last week's points up, lower down, equal sideways."""
    assert (Figure(3, 1).arrow, Figure(1, 3).arrow, Figure(2, 2).arrow) == ("↑", "↓", "→")


def test_english_review_has_every_section_and_figure() -> None:
    """The English Markdown names the week, the team, each figure with its trend, the Sev1/Sev2
    list with links, overdue postmortems and actions, and the gate's blocking action ids."""
    out = render(_facts(), "en", "https://plantao.example")
    assert out.subject == "Weekly operational review 2026-W49 — Payments"
    text = out.text
    assert "# Weekly operational review — 2026-W49" in text
    assert "2026-11-30 00:00 -03 → 2026-12-07 00:00 -03" in text
    assert "| Incidents opened | 3 | 1 | ↑ |" in text
    assert "| Actions done | 0 | 3 | ↓ |" in text
    assert "| SEV1 | 1 ↑ | 0 | 0 | 4 min (5 min) ✓ | 50 min (1 h) ✓ |" in text
    assert "| SEV2 | 1 → | 1 | 1 | 20 min (15 min) ✗ over target | — (4 h) |" in text
    assert "[INC-20261201-1](https://plantao.example/incidents/INC-20261201-1)" in text
    assert "Checkout down \\| EU" in text
    assert "**1** postmortems overdue, **1** corrective actions overdue" in text
    assert "- AC-07 (must fix) · Rotate keys ·" in text
    assert "| Payments API | 2 | AC-07 | — |" in text
    assert "{{" not in text and "{%" not in text


def test_portuguese_review_is_worded_in_portuguese() -> None:
    """The pt-BR Markdown has its own subject, headings and status words, the same figures."""
    out = render(_facts(), "pt-BR")
    assert out.subject == "Revisão operacional semanal 2026-W49 — Payments"
    assert "| Incidentes abertos | 3 | 1 | ↑ |" in out.text
    assert "## Ações corretivas" in out.text
    assert "reconhecido" in out.text and "acknowledged" not in out.text
    assert "- INC-20261201-1 · SEV1" in out.text  # no base URL: plain refs


def test_empty_week_says_so_in_both_languages() -> None:
    """A quiet week for the whole installation renders without lists, saying there is none."""
    quiet = _facts(
        team=None,
        team_name=None,
        major_incidents=(),
        postmortems_due=(),
        postmortems_overdue=(),
        actions_due=(),
        actions_overdue=(),
        must_fix_open=(),
        gate_blocks=(),
        complete=False,
    )
    en, pt = render(quiet, "en").text, render(quiet, "pt-BR").text
    assert "None this week." in en and "No release was blocked this week." in en
    assert "**Whole installation**" in en and "week still in progress" in en
    assert "Nenhum nesta semana." in pt and "Nenhum release foi bloqueado" in pt


def test_redaction_hides_private_titles_but_keeps_the_counts() -> None:
    """A reader who may not see a private incident gets it counted with its title hidden."""
    hidden = redacted(_facts(), frozenset())
    assert [i.title for i in hidden.major_incidents] == ["Checkout down | EU", None]
    assert hidden.must_fix_open[0].title is None
    assert "(private incident)" in render(hidden, "en").text
    assert "Leaked token" not in render(hidden, "en").text
    shown = redacted(_facts(), frozenset({2}))
    assert shown.major_incidents[1].title == "Leaked token"


def test_json_form_carries_trends_and_targets() -> None:
    """The JSON facts carry each figure's trend, ISO times and whether a median met its target."""
    data = as_json(_facts())
    assert data["incidents"] == {"current": 3, "previous": 1, "trend": "up"}
    assert data["severities"][1]["mtta_met"] is False
    assert data["starts_at"] == "2026-11-30T03:00:00+00:00"
    assert data["actions_due"][0]["due_date"] == "2026-12-03"


def test_cells_and_spans() -> None:
    """Table cells escape Markdown; spans read as people write durations."""
    assert cell("a|b\n[c]") == "a\\|b \\[c\\]"
    assert [span(v) for v in (None, 30, 300, 3600, 3900, 200000)] == [
        "—",
        "30 s",
        "5 min",
        "1 h",
        "1 h 05 min",
        "2 d 7 h",
    ]
