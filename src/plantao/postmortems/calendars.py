"""Which business calendar an incident's RCA window is counted in: its service's team's own
calendar, else the installation's default, else Monday–Friday in UTC without holidays."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.postmortems.business_days import Calendar, parse_workdays
from plantao.postmortems.models import BusinessCalendar

DEFAULT_NAME = "default"


def as_calendar(row: BusinessCalendar) -> Calendar:
    holidays = frozenset(
        date.fromisoformat(str(h["date"])) for h in row.holidays or [] if h.get("date")
    )
    return Calendar(row.time_zone, parse_workdays(row.workdays), holidays)


def for_team(session: Session, team_id: int | None) -> Calendar:
    rows = {
        row.team_id: row
        for row in session.scalars(
            select(BusinessCalendar).where(
                (BusinessCalendar.team_id == team_id) | BusinessCalendar.team_id.is_(None)
            )
        )
    }
    row = rows.get(team_id) if team_id is not None else None
    row = row or rows.get(None)
    return as_calendar(row) if row is not None else Calendar()


def for_incident(session: Session, incident: Incident) -> Calendar:
    team_id = session.scalar(select(Service.team_id).where(Service.id == incident.service_id))
    return for_team(session, team_id)


def by_team(session: Session) -> dict[int | None, Calendar]:
    """Every stored calendar keyed by team id (None: the default), in one query, for callers
    that need the calendars of many incidents at once (see :func:`pick`)."""
    return {row.team_id: as_calendar(row) for row in session.scalars(select(BusinessCalendar))}


def pick(table: dict[int | None, Calendar], team_id: int | None) -> Calendar:
    """The calendar of ``team_id`` in a :func:`by_team` table, with the same fallbacks as
    :func:`for_team`."""
    found = table.get(team_id) if team_id is not None else None
    return found or table.get(None) or Calendar()
