"""API shapes for runbooks, incident links, checklists and step runs; inputs validated here."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RunbookSummary(BaseModel):
    id: str
    title: str
    lang: str
    langs: list[str]
    owner: str
    version: str
    services: list[str]
    tags: list[str]
    severity_hint: str | None
    last_reviewed: date
    review_due: date
    stale: bool
    url: str


class ParamOut(BaseModel):
    name: str
    type: str
    required: bool
    secret: bool
    default: str | int | bool | None
    allowed: list[str]
    description: str


class ActionOut(BaseModel):
    id: str
    danger: str
    section: str
    command: str
    command_sha256: str
    timeout: int
    params: list[str]
    approvers: list[str]
    needs: Literal["none", "confirmation", "approval"]


class SectionOut(BaseModel):
    kind: str
    heading: str
    html: str


class StepOut(BaseModel):
    text: str
    section: str


class RunbookDetail(RunbookSummary):
    html: str
    sections: list[SectionOut]
    steps: list[StepOut]
    actions: list[ActionOut]
    parameters: list[ParamOut]


class LinkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    runbook_id: str | None
    title: str
    source: str
    suggested: bool
    score: float | None
    why: str
    version: str | None
    lang: str | None
    url: str  # empty when the link's URL may not be followed (not http/https)
    external_url: str | None
    confirmed_at: datetime | None
    confirmed_by: str | None
    confirmed_version: str | None


class IncidentRunbooks(BaseModel):
    linked: list[LinkOut]
    suggested: list[LinkOut]
    # Marked "not relevant" by a responder: hidden from the lists above, kept to be undone.
    rejected: list[LinkOut] = []


class RejectIn(BaseModel):
    """Why the runbook does not fit (optional): kept with the vote and on the timeline."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=500)


class ChecklistItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    position: int
    key: str
    text: str
    hint: str
    section: str
    checked_at: datetime | None
    checked_by: str | None


class ChecklistOut(BaseModel):
    id: int
    kind: str
    title: str
    lang: str
    runbook_id: str | None
    runbook_version: str | None
    created_at: datetime
    created_by: str
    items: list[ChecklistItemOut]


class ChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    runbook: str = Field(min_length=1, max_length=128)
    lang: str | None = Field(default=None, max_length=8)


class RiskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Literal["low", "medium", "high"]
    rationale: str = Field(min_length=1, max_length=2000)


class AssumptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assumption: str = Field(min_length=1, max_length=2000)
    evidence: str = Field(min_length=1, max_length=2000)
    signal: str = Field(min_length=1, max_length=2000)
    fallback: str = Field(min_length=1, max_length=2000)
    lang: str | None = Field(default=None, max_length=8)


class RunIn(BaseModel):
    """A request for a step run: non-secret parameter values and, for ``mutate`` and
    ``destructive`` steps, the sha256 of the exact command."""

    model_config = ConfigDict(extra="forbid")
    params: dict[str, str | int | bool] = Field(default_factory=dict)
    confirmation: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    lang: str | None = Field(default=None, max_length=8)


class RunOut(BaseModel):
    """A step run: what was asked, by whom, its guard state and its redacted outcome."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    incident_id: int
    runbook_id: str
    lang: str
    runbook_version: str
    action_id: str
    danger: str
    command: str
    command_sha256: str
    params: dict[str, Any]
    status: str
    requested_by: str
    requested_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    expires_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    duration_ms: int | None
    timed_out: bool
    truncated: bool
    stdout: str
    stderr: str
    error: str | None


class CoverageOut(BaseModel):
    since: datetime | None
    until: datetime | None
    incidents: int
    with_confirmed_runbook: int
    without_confirmed_runbook: int
    without_any_runbook: int
    coverage: float | None
