"""``business_calendars:`` in ``plantao.yaml``: the calendars RCA windows are counted in.

One entry per team that needs its own (``team: payments``) and at most one without a team,
the installation's default (named ``default`` unless named otherwise)::

    business_calendars:
      - name: brasil
        time_zone: America/Sao_Paulo
        workdays: mon,tue,wed,thu,fri      # or 12345
        holidays:
          - {date: 2026-12-25, name: Natal}
          - {date: 2027-01-01, name: Confraternização Universal}
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plantao.configfile.located import LocatedError
from plantao.postmortems import business_days

DEFAULT_NAME = "default"


class HolidaySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    date: date
    name: str = Field(default="", max_length=200)


class BusinessCalendarSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=64)
    team: str | None = Field(default=None, min_length=1, max_length=64)
    time_zone: str = "UTC"
    workdays: str = "12345"
    holidays: list[HolidaySpec] = Field(default_factory=list)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        business_days.zone(value)
        return value

    @field_validator("workdays", mode="before")
    @classmethod
    def _workdays(cls, value: Any) -> Any:
        """YAML reads ``12345`` as a number; both forms end as ISO digits (``12345``)."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str):
            return value
        return business_days.workdays_text(business_days.parse_workdays(value))

    @field_validator("holidays")
    @classmethod
    def _once(cls, values: list[HolidaySpec]) -> list[HolidaySpec]:
        seen: set[date] = set()
        for index, item in enumerate(values):
            if item.date in seen:
                raise LocatedError(f"[{index}].date", f"{item.date} is listed twice")
            seen.add(item.date)
        return sorted(values, key=lambda h: h.date)

    def key(self) -> str:
        """The stored name: ``name``, else the team's slug, else ``default``."""
        return self.name or self.team or DEFAULT_NAME

    def stored_holidays(self) -> list[dict[str, str]]:
        return [{"date": h.date.isoformat(), "name": h.name} for h in self.holidays]


def calendar_references(config: Any) -> list[str]:
    """One calendar per name and per team, one default, and teams the file declares."""
    problems: list[str] = []
    teams = None if config.teams is None else {t.slug for t in config.teams}
    names: set[str] = set()
    owners: set[str | None] = set()
    for index, spec in enumerate(config.business_calendars or []):
        where = f"business_calendars[{index}]"
        if spec.key() in names:
            problems.append(f"{where}.name: duplicate '{spec.key()}'")
        names.add(spec.key())
        if spec.team in owners:
            problems.append(
                f"{where}.team: "
                + (
                    f"team '{spec.team}' has two calendars"
                    if spec.team
                    else "a second calendar without a team; only one is the default"
                )
            )
        owners.add(spec.team)
        if spec.team and teams is not None and spec.team not in teams:
            problems.append(f"{where}.team: unknown team '{spec.team}'")
    return problems
