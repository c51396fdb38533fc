"""Request and response bodies of the on-call API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from plantao.matchers import MatcherListError, check_matchers


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a time zone, e.g. 2026-11-22T12:00:00Z")
    return value


class OnCallOut(BaseModel):
    schedule: str
    at: datetime
    users: list[str]


class ShiftOut(BaseModel):
    user: str
    start: datetime
    end: datetime
    layer: str | None


class ShiftsOut(BaseModel):
    schedule: str
    shifts: list[ShiftOut]


class ScheduleOut(BaseModel):
    slug: str
    name: str
    time_zone: str
    layers: list[str]
    on_call_now: list[str]


class FeedOut(BaseModel):
    url: str


class OverrideIn(_In):
    kind: Literal["replace", "add", "remove"]
    start: datetime
    end: datetime
    user: str | None = None
    replaces: str | None = None
    layer: str | None = None

    _tz = field_validator("start", "end")(_aware)


class OverrideOut(BaseModel):
    id: int
    kind: str
    start: datetime
    end: datetime
    user: str | None
    replaces: str | None
    layer: str | None
    created_by: str


class SilenceIn(_In):
    name: str = Field(min_length=1, max_length=200)
    starts_at: datetime | None = None
    ends_at: datetime
    services: list[str] = Field(default_factory=list, max_length=100)
    matchers: list[str] = Field(default_factory=list, max_length=50)
    comment: str = Field(default="", max_length=2000)

    _tz = field_validator("starts_at", "ends_at")(_aware)

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, values: list[str]) -> list[str]:
        try:
            check_matchers(values)
        except MatcherListError as exc:
            raise ValueError(f"[{exc.index}] {exc.message}") from None
        return values


class SilenceOut(BaseModel):
    id: int
    name: str
    origin: str
    starts_at: datetime | None
    ends_at: datetime | None
    recurring: bool
    services: list[str]
    matchers: list[str]
    comment: str
    created_by: str
    ended_at: datetime | None
    active: bool


class HeartbeatOut(BaseModel):
    slug: str
    state: str
    last_beat_at: datetime | None
    due_at: datetime


class EscalationOut(BaseModel):
    incident: str
    policy: str
    state: str
    next_due_at: datetime | None
    pages: list[dict[str, str | int]]
    #: Acknowledged and not resolved: the level (its step) that pages next, and when.
    unresolved_level: int | None = None
    unresolved_due_at: datetime | None = None
