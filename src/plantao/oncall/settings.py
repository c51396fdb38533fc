"""On-call settings documents (working hours) stored as validated JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plantao.oncall.escalation_plan import WorkingHours
from plantao.oncall.layers import parse_hhmm
from plantao.oncall.models import OncallSetting

WORKING_HOURS = "working_hours"


def working_hours_from_dict(body: dict[str, Any]) -> WorkingHours:
    return WorkingHours(
        tz=str(body["time_zone"]),
        start=parse_hhmm(body["start"]),
        end=parse_hhmm(body["end"]),
        weekdays=frozenset(int(d) for d in body["weekdays"]),
    )


def working_hours(session: Session) -> WorkingHours:
    """The configured working hours, or seed 002's default (09:00-18:00 São Paulo, Mon-Fri)."""
    row = session.get(OncallSetting, WORKING_HOURS)
    return WorkingHours() if row is None else working_hours_from_dict(row.body)


def put(session: Session, name: str, body: dict[str, Any]) -> str:
    row = session.get(OncallSetting, name)
    if row is None:
        session.add(OncallSetting(name=name, body=body))
        session.flush()
        return "create"
    if row.body == body:
        return "keep"
    row.body = body
    session.flush()
    return "update"
