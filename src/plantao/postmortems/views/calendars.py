"""Business calendars API: the calendars RCA windows are counted in, as ``plantao.yaml``
declared them (read-only here: the file is where they are changed). Any viewer may read them —
a due date is only understood with the calendar it was counted in."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from plantao.api.deps import SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.people.models import Team
from plantao.postmortems.business_days import WORKDAY_NAMES
from plantao.postmortems.models import BusinessCalendar

router = APIRouter(prefix="/api/v1", tags=["postmortems"], responses=problem_responses())


class HolidayOut(BaseModel):
    date: str
    name: str


class BusinessCalendarOut(BaseModel):
    name: str
    team: str | None
    default: bool
    time_zone: str
    workdays: list[str]
    holidays: list[HolidayOut]


@router.get(
    "/business-calendars",
    response_model=list[BusinessCalendarOut],
    summary="List business calendars",
)
def list_calendars(principal: Viewer, session: SessionDep) -> list[BusinessCalendarOut]:
    """Every business calendar: the default (no team) first, then by name. Working days are
    weekday names (``mon`` … ``sun``); holidays are sorted by date."""
    rows = session.execute(
        select(BusinessCalendar, Team.slug).outerjoin(Team, Team.id == BusinessCalendar.team_id)
    ).all()
    out = [
        BusinessCalendarOut(
            name=row.name,
            team=slug,
            default=row.team_id is None,
            time_zone=row.time_zone,
            workdays=[WORKDAY_NAMES[int(d) - 1] for d in row.workdays if d in "1234567"],
            holidays=sorted(
                (
                    HolidayOut(date=str(h.get("date", "")), name=str(h.get("name", "")))
                    for h in row.holidays or []
                ),
                key=lambda h: h.date,
            ),
        )
        for row, slug in rows
    ]
    return sorted(out, key=lambda c: (not c.default, c.name))
