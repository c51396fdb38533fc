"""Applying ``business_calendars:`` to the ``business_calendars`` table.

Like the release gate and stakeholders: a file that does not say ``business_calendars`` leaves
the stored calendars alone; one that does declares the whole set, so a calendar removed from
the list is deleted (its team's incidents then count in the default calendar, or Monday–Friday
in UTC when there is none). Calendars are matched by name; every create, change and delete is a
line of the diff, and applying the same file again changes nothing.

Changing a calendar does not move the due date of a postmortem already started: that date was
promised when the incident was resolved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.configfile.calendar_schema import BusinessCalendarSpec
from plantao.configfile.common import Change
from plantao.people.models import Team
from plantao.postmortems.models import BusinessCalendar

__all__ = ["apply_business_calendars"]

KIND = "business calendar"


def _values(spec: BusinessCalendarSpec, teams: dict[str, Team]) -> dict[str, Any]:
    return {
        "name": spec.key(),
        "team_id": None if spec.team is None else teams[spec.team].id,
        "time_zone": spec.time_zone,
        "workdays": spec.workdays,
        "holidays": spec.stored_holidays(),
    }


def _summary(spec: BusinessCalendarSpec) -> str:
    owner = f"team {spec.team}" if spec.team else "default"
    return f"{owner}, {spec.time_zone}, workdays {spec.workdays}, {len(spec.holidays)} holidays"


def apply_business_calendars(
    session: Session, specs: list[BusinessCalendarSpec] | None, teams: dict[str, Team]
) -> list[Change]:
    """Make the stored calendars what the file declares (see the module docstring); run after
    teams exist. An unknown team is a LookupError naming the entry."""
    if specs is None:
        return []
    for index, spec in enumerate(specs):
        if spec.team is not None and spec.team not in teams:
            raise LookupError(f"business_calendars[{index}].team: unknown team '{spec.team}'")
    wanted = {spec.key(): (spec, _values(spec, teams)) for spec in specs}
    current = {row.name: row for row in session.scalars(select(BusinessCalendar))}
    changes: list[Change] = []
    for name, row in sorted(current.items()):
        if name not in wanted:
            session.delete(row)
            changes.append(Change(KIND, "delete", name))
    # A team's calendar may move to another name or another team: free the unique team ids
    # first (NULLs never collide), then give every row its final values.
    moving = [
        row
        for name, row in current.items()
        if name in wanted and row.team_id != wanted[name][1]["team_id"]
    ]
    for row in moving:
        row.team_id = None
    session.flush()
    now = clock.now()
    for name, (spec, values) in sorted(wanted.items()):
        if name not in current:
            session.add(BusinessCalendar(**values, updated_at=now))
            changes.append(Change(KIND, "create", name, _summary(spec)))
            continue
        row = current[name]
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        if row in moving:
            changed.append("team_id")
        for key in changed:
            setattr(row, key, values[key])
        if changed:
            row.updated_at = now
            fields = sorted({"team" if k == "team_id" else k for k in changed})
            changes.append(Change(KIND, "update", name, ", ".join(fields)))
    session.flush()
    return changes
