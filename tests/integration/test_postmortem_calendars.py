"""Business calendars in plantao.yaml (declared with a diff, idempotent, removed with the file,
refused with their location) and the RCA due date they give an incident: the team's calendar
wins over the default, the default over Monday–Friday in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.configfile.schema import ConfigError, load_text
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.postmortems import calendars, obligations
from plantao.postmortems.business_days import Calendar
from plantao.postmortems.models import BusinessCalendar
from tests.factories.config import STANDARD, apply_config
from tests.factories.oncall import act, fire, setup_oncall

#: The team's own: São Paulo, the 24th and 25th off; the default: Tokyo, the 23rd off.
TEAM_CAL = """  - name: brasil
    team: sre
    time_zone: America/Sao_Paulo
    workdays: mon,tue,wed,thu,fri
    holidays:
      - {date: 2026-11-24, name: Folga}
      - {date: 2026-11-25, name: Folga}
"""
DEFAULT_CAL = """  - time_zone: Asia/Tokyo
    workdays: 12345
    holidays: [{date: 2026-11-23, name: Kinro Kansha no Hi}]
"""
BOTH = STANDARD + "business_calendars:\n" + TEAM_CAL + DEFAULT_CAL
ONLY_DEFAULT = STANDARD + "business_calendars:\n" + DEFAULT_CAL
NONE = STANDARD + "business_calendars: []\n"


def _rows(factory: sessionmaker[Session]) -> dict[str, BusinessCalendar]:
    with session_scope(factory) as s:
        rows = {r.name: r for r in s.scalars(select(BusinessCalendar))}
        s.expunge_all()
        return rows


def _calendar_lines(changes: Sequence[object]) -> set[str]:
    return {str(c) for c in changes if "business calendar" in str(c)}


def test_apply_declares_calendars_once_with_a_diff(factory: sessionmaker[Session]) -> None:
    """First apply creates both (+ lines with a summary), again changes nothing, a new holiday
    is a ~ line, leaving the section out keeps them, and an entry removed is deleted."""
    first = _calendar_lines(apply_config(factory, BOTH))
    assert first == {
        "+ business calendar brasil (team sre, America/Sao_Paulo, workdays 12345, 2 holidays)",
        "+ business calendar default (default, Asia/Tokyo, workdays 12345, 1 holidays)",
    }
    rows = _rows(factory)
    assert rows["default"].team_id is None and rows["brasil"].team_id is not None
    assert rows["brasil"].holidays == [
        {"date": "2026-11-24", "name": "Folga"},
        {"date": "2026-11-25", "name": "Folga"},
    ]
    assert _calendar_lines(apply_config(factory, BOTH)) == set()
    more = BOTH.replace(
        "      - {date: 2026-11-25, name: Folga}\n",
        "      - {date: 2026-11-25, name: Folga}\n      - {date: 2026-12-25, name: Natal}\n",
    )
    assert _calendar_lines(apply_config(factory, more)) == {"~ business calendar brasil (holidays)"}
    assert _calendar_lines(apply_config(factory, STANDARD)) == set()
    assert set(_rows(factory)) == {"brasil", "default"}
    assert _calendar_lines(apply_config(factory, ONLY_DEFAULT)) == {"- business calendar brasil"}
    assert _calendar_lines(apply_config(factory, NONE)) == {"- business calendar default"}
    assert _rows(factory) == {}


def test_calendar_moving_to_another_name_keeps_one_per_team(
    factory: sessionmaker[Session],
) -> None:
    """Renaming a team's calendar deletes the old name and creates the new one in one apply."""
    apply_config(factory, BOTH)
    renamed = BOTH.replace("name: brasil", "name: sao-paulo")
    assert _calendar_lines(apply_config(factory, renamed)) == {
        "- business calendar brasil",
        "+ business calendar sao-paulo (team sre, America/Sao_Paulo, workdays 12345, 2 holidays)",
    }
    assert set(_rows(factory)) == {"sao-paulo", "default"}


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ("  - {team: ops, time_zone: UTC}\n", "business_calendars[0].team: unknown team 'ops'"),
        (
            "  - {time_zone: Mars/Olympus}\n",
            "business_calendars[0].time_zone: unknown time zone 'Mars/Olympus'",
        ),
        ("  - {workdays: 'mon,funday'}\n", "business_calendars[0].workdays: unknown weekday"),
        (
            "  - {holidays: [{date: 2026-12-25}, {date: 2026-12-25}]}\n",
            "business_calendars[0].holidays[1].date: 2026-12-25 is listed twice",
        ),
        ("  - {holidays: [{date: 2026-02-30}]}\n", "'2026-02-30' is not a date"),
        ("  - {holidays: [{date: christmas}]}\n", "business_calendars[0].holidays[0].date"),
        ("  - {time_zone: UTC}\n  - {time_zone: UTC}\n", "business_calendars[1].name: duplicate"),
        ("  - {time_zone: UTC, colour: red}\n", "business_calendars[0].colour: unknown field"),
    ],
)
def test_bad_calendars_are_refused_with_their_location(entry: str, problem: str) -> None:
    """Unknown team or zone, bad weekday, duplicate or impossible date: the error names where."""
    with pytest.raises(ConfigError) as caught:
        load_text(STANDARD + "business_calendars:\n" + entry)
    assert any(problem in line for line in caught.value.problems), caught.value.problems


def test_impossible_date_names_its_line() -> None:
    """A date that does not exist is reported with its line and column, not a traceback."""
    text = "version: 1\nbusiness_calendars:\n  - holidays:\n      - {date: 2026-02-30}\n"
    with pytest.raises(ConfigError) as caught:
        load_text(text)
    assert caught.value.problems[0].startswith("line 4, column 16: '2026-02-30' is not a date")


def test_unknown_team_not_declared_in_the_file_is_refused(
    factory: sessionmaker[Session],
) -> None:
    """A file that declares no teams may name only teams that exist; others are refused."""
    apply_config(factory, STANDARD)
    with pytest.raises(LookupError, match=r"business_calendars\[0\]\.team: unknown team 'ops'"):
        apply_config(factory, "business_calendars:\n  - {team: ops}\n")
    assert _calendar_lines(apply_config(factory, "business_calendars:\n  - {team: sre}\n")) == {
        "+ business calendar sre (team sre, UTC, workdays 12345, 0 holidays)"
    }


def _resolved_sev2(factory: sessionmaker[Session]) -> int:
    incident_id = fire(factory, "error")
    act(factory, incident_id, Action.RESOLVE)
    return incident_id


def _due(factory: sessionmaker[Session], incident_id: int) -> obligations.Obligation:
    with session_scope(factory) as s:
        return obligations.of(s, incident_service.get(s, incident_id))


def test_team_calendar_wins_then_default_then_utc_weekdays(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Sev2 resolved Sunday 12:00 UTC: São Paulo with the 24th–25th off → Friday 27th; the
    Tokyo default with the 23rd off → Thursday 26th; no calendar → Wednesday 25th."""
    setup_oncall(factory)
    apply_config(factory, BOTH)
    incident_id = _resolved_sev2(factory)
    assert _due(factory, incident_id) == obligations.Obligation(
        True, datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    )
    apply_config(factory, ONLY_DEFAULT)
    assert _due(factory, incident_id).due_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    apply_config(factory, NONE)
    assert _due(factory, incident_id).due_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_sev1_hours_and_sev4_optional(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Sev1's 48 clock hours ignore the calendar; Sev4 owes no postmortem and has no due date."""
    setup_oncall(factory)
    apply_config(factory, BOTH)
    sev1 = fire(factory, "critical", "Boom")
    sev4 = fire(factory, "info", "Meh")
    with session_scope(factory) as s:
        assert incident_service.get(s, sev4).severity == "sev4"
    for incident_id in (sev1, sev4):
        act(factory, incident_id, Action.RESOLVE)
    assert _due(factory, sev1) == obligations.Obligation(
        True, datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    )
    assert _due(factory, sev4) == obligations.Obligation(False, None)


def test_calendar_lookup_by_team_and_batch(factory: sessionmaker[Session]) -> None:
    """for_team and the batch table agree: the team's own, else the default, else UTC weekdays."""
    apply_config(factory, BOTH)
    with session_scope(factory) as s:
        sre = s.scalars(select(BusinessCalendar.team_id).where(BusinessCalendar.name == "brasil"))
        team_id = sre.one()
        table = calendars.by_team(s)
        assert calendars.for_team(s, team_id).time_zone == "America/Sao_Paulo"
        assert calendars.pick(table, team_id).time_zone == "America/Sao_Paulo"
        assert calendars.for_team(s, None).time_zone == "Asia/Tokyo"
        assert calendars.pick(table, 999_999).time_zone == "Asia/Tokyo"
    apply_config(factory, NONE)
    with session_scope(factory) as s:
        assert calendars.for_team(s, team_id) == Calendar()
        assert calendars.pick(calendars.by_team(s), team_id) == Calendar()
