"""What a corrective action is made of at the edge (API body, CLI options, web form), validated
once (seed 002 action tracking; seed 001's quick fix / hardening / prevention and "how we will
measure prevention"). Pure.

Rules that need the database — is the owner a person here, is the due date on or after the
incident's detection day, is the service known — live in :mod:`plantao.postmortems.actions`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plantao.incidents.severity import normalize
from plantao.urls import safe_link

TITLE_MAX = 500
TEXT_MAX = 4000
URL_MAX = 2000

Kind = Literal["quick_fix", "hardening", "prevention", "follow_up"]
StatusName = Literal["open", "in_progress", "done", "wont_do"]

_ENVIRONMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _severity(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _ticket(value: str | None) -> str | None:
    """A ticket link becomes an ``href``: absolute http/https only, never ``javascript:``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > URL_MAX:
        raise ValueError(f"at most {URL_MAX} characters")
    if text.startswith("/") or safe_link(text) is None:
        raise ValueError("must be an absolute http:// or https:// URL")
    return text


def _environment(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _ENVIRONMENT.match(text):
        raise ValueError("letters, digits, '.', '_' and '-', at most 64 (e.g. production)")
    return text


class ActionIn(BaseModel):
    """A new corrective action. ``owner`` is a handle (the author when left out); ``due_date``
    an ISO date (by kind when left out); ``severity`` and ``service`` default to the incident's;
    ``environment`` names the one environment a must-fix action blocks (all when null);
    ``origin`` is the key of the Learn-step suggestion it came from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    owner: str | None = Field(default=None, max_length=64)
    due_date: date | None = None
    must_fix: bool = False
    severity: str | None = Field(default=None, max_length=8, description="sev1..sev4 or P0..P3")
    kind: Kind = "quick_fix"
    ticket_url: str | None = Field(default=None, max_length=URL_MAX + 100)
    measure: str | None = Field(
        default=None, max_length=TEXT_MAX, description="how we will measure prevention"
    )
    environment: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=64, description="a service slug")
    origin: str | None = Field(default=None, max_length=32)

    _sev = field_validator("severity")(_severity)
    _url = field_validator("ticket_url")(_ticket)
    _env = field_validator("environment")(_environment)

    @field_validator("due_date", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        return _date_only(value)


def _date_only(value: Any) -> Any:
    """A due date is a day: ``2026-12-24``; a time of day would only mislead."""
    if isinstance(value, datetime):
        raise ValueError("a date like 2026-12-24, without a time")
    if isinstance(value, str) and ("T" in value or " " in value.strip()):
        raise ValueError("a date like 2026-12-24, without a time")
    return value


#: Fields a PATCH may set to null (clearing them); the others must carry a value when sent.
NULLABLE = frozenset({"owner", "ticket_url", "measure", "environment", "reason"})


class ActionPatch(BaseModel):
    """A change to an action: only the fields sent change. ``status`` ``wont_do`` needs a
    non-empty ``reason``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    owner: str | None = Field(default=None, max_length=64)
    due_date: date | None = None
    must_fix: bool | None = None
    severity: str | None = Field(default=None, max_length=8)
    kind: Kind | None = None
    status: StatusName | None = None
    reason: str | None = Field(default=None, max_length=TEXT_MAX)
    ticket_url: str | None = Field(default=None, max_length=URL_MAX + 100)
    measure: str | None = Field(default=None, max_length=TEXT_MAX)
    environment: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=64)

    _sev = field_validator("severity")(_severity)
    _url = field_validator("ticket_url")(_ticket)
    _env = field_validator("environment")(_environment)

    @field_validator("due_date", mode="before")
    @classmethod
    def _plain_date(cls, value: Any) -> Any:
        return _date_only(value)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in self.model_fields_set - NULLABLE:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: cannot be null")
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields sent, with their values."""
        return {name: getattr(self, name) for name in self.model_fields_set}

    def status_only(self) -> bool:
        """Only the status (and its reason): what an action's owner may always change."""
        return self.model_fields_set <= {"status", "reason"}


class ActionOut(BaseModel):
    """An action as every entry point shows it."""

    id: str = Field(description="AC-07")
    postmortem: int
    incident: str
    service: str
    environment: str | None
    title: str
    owner: str | None
    due_date: date
    severity: str
    kind: str
    must_fix: bool
    status: str
    reason: str | None
    ticket_url: str | None
    measure: str | None
    origin: str | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None
    url: str


class SuggestionOut(BaseModel):
    """A follow-up the Learn step suggests; adding it is ``POST …/actions`` with
    ``origin`` = ``key``."""

    key: str
    kind: str
    title: str
    title_en: str
    title_pt_br: str
