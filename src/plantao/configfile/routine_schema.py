"""``routines:`` and ``shift_checklists:`` in ``plantao.yaml`` (seed 003 §7 and §11).

A routine is written flat — ``every``, ``at``, ``weekday`` (weekly), ``day`` (monthly,
quarterly), ``time_zone`` — and checked by the same rule reader the engine uses
(:mod:`plantao.oncall.routine_recurrence`), so a file that applies is a rule that runs.
YAML 1.1 reads an unquoted ``09:00`` as the number 540 (base 60); it is taken back as
``09:00``. A shift checklist replaces the seed's default for its schedule, whole.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plantao.configfile.durations import parse_duration
from plantao.oncall.routine_recurrence import from_dict
from plantao.oncall.shift_checklist_defaults import check_items

_DAY_MINUTES = 24 * 60
_SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RoutineTitleSpec(_Strict):
    en: str = Field(min_length=1, max_length=200)
    pt_br: str = Field(alias="pt-BR", min_length=1, max_length=200)


class RoutineSpec(_Strict):
    slug: str = Field(pattern=_SLUG)
    title: RoutineTitleSpec
    every: Literal["daily", "weekly", "monthly", "quarterly"]
    at: str = "09:00"
    weekday: str | None = None
    day: int | None = None
    time_zone: str = "UTC"
    team: str = Field(min_length=1, max_length=64)
    schedule: str | None = Field(default=None, max_length=64)
    remind_after: str | int = "1h"

    @field_validator("at", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _DAY_MINUTES:
            return f"{value // 60:02d}:{value % 60:02d}"
        return value

    @field_validator("remind_after")
    @classmethod
    def _duration(cls, value: str | int) -> str | int:
        seconds = parse_duration(value).total_seconds()
        if not 60 <= seconds <= 30 * 86400:
            raise ValueError("between 1m and 30d")
        return value

    @model_validator(mode="after")
    def _rule(self) -> RoutineSpec:
        if self.weekday is not None and self.every != "weekly":
            raise ValueError("weekday: only for every: weekly")
        if self.day is not None and self.every not in ("monthly", "quarterly"):
            raise ValueError("day: only for every: monthly or quarterly")
        from_dict(self.recurrence())
        return self

    def recurrence(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"every": self.every, "at": self.at, "time_zone": self.time_zone}
        if self.weekday is not None:
            rule["weekday"] = self.weekday
        if self.day is not None:
            rule["day"] = self.day
        return rule

    def remind_after_seconds(self) -> int:
        return int(parse_duration(self.remind_after).total_seconds())


class ChecklistItemSpec(_Strict):
    key: str = Field(pattern=_SLUG)
    phase: Literal["start", "during", "end"]
    en: str = Field(min_length=1, max_length=300)
    pt_br: str = Field(alias="pt-BR", min_length=1, max_length=300)

    def as_item(self) -> dict[str, Any]:
        return {"key": self.key, "phase": self.phase, "en": self.en, "pt-BR": self.pt_br}


class ShiftChecklistSpec(_Strict):
    schedule: str = Field(min_length=1, max_length=64)
    items: list[ChecklistItemSpec] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _items(self) -> ShiftChecklistSpec:
        problems = check_items([i.as_item() for i in self.items])
        if problems:
            raise ValueError("; ".join(problems))
        return self


def routine_references(config: Any) -> list[str]:
    """Slugs once each; teams and schedules name the file's when it declares them (otherwise
    the stored ones are checked when applied)."""
    problems: list[str] = []
    teams = None if config.teams is None else {t.slug for t in config.teams}
    schedules = None if config.schedules is None else {s.slug for s in config.schedules}
    seen: set[str] = set()
    for index, routine in enumerate(getattr(config, "routines", None) or []):
        where = f"routines[{index}]"
        if routine.slug in seen:
            problems.append(f"{where}.slug: duplicate '{routine.slug}'")
        seen.add(routine.slug)
        if teams is not None and routine.team not in teams:
            problems.append(f"{where}.team: unknown team '{routine.team}'")
        if routine.schedule and schedules is not None and routine.schedule not in schedules:
            problems.append(f"{where}.schedule: unknown schedule '{routine.schedule}'")
    listed: set[str] = set()
    for index, checklist in enumerate(getattr(config, "shift_checklists", None) or []):
        where = f"shift_checklists[{index}].schedule"
        if checklist.schedule in listed:
            problems.append(f"{where}: duplicate '{checklist.schedule}'")
        listed.add(checklist.schedule)
        if schedules is not None and checklist.schedule not in schedules:
            problems.append(f"{where}: unknown schedule '{checklist.schedule}'")
    return problems
