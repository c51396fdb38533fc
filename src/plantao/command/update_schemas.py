"""What a status update is made of at the edge (API body, CLI options, web form), validated once.

Seed 002's ``status-template`` and 003 §4.3: status now, impact, symptoms, current mitigation,
next steps with owner and ETA, and for the resolution message its root cause, fix, monitoring
period and postmortem date. The rules that need the incident (is a postmortem date required at
this severity? is the next update time within bounds?) live in :mod:`plantao.command.updates`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

TEXT_MAX = 4000
STEPS_MAX = 20

Status = Literal["investigating", "identified", "monitoring", "resolved"]


class NextStepIn(BaseModel):
    """One next action: what, who (a handle or a free-text name), by when."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    action: str = Field(min_length=1, max_length=500)
    owner: str | None = Field(default=None, max_length=200)
    eta: AwareDatetime | None = None


class ResolutionIn(BaseModel):
    """The resolution message's facts (003 §4.3); the duration is computed, never typed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    root_cause: str = Field(min_length=1, max_length=TEXT_MAX)
    fix: str = Field(min_length=1, max_length=TEXT_MAX)
    monitoring: str = Field(
        min_length=1, max_length=500, description='how long it is watched, e.g. "next 2 hours"'
    )
    postmortem_at: AwareDatetime | None = Field(
        default=None, description="when the postmortem meets; required unless sev4"
    )


class StatusUpdateIn(BaseModel):
    """A status update as posted. ``resolution`` is required exactly when ``status`` is
    ``resolved``; ``next_update_at`` overrides the cadence's next due time (bounded)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    status: Status
    impact: str = Field(min_length=1, max_length=TEXT_MAX)
    symptoms: str | None = Field(default=None, max_length=TEXT_MAX)
    mitigation: str | None = Field(default=None, max_length=TEXT_MAX)
    next_steps: list[NextStepIn] = Field(default_factory=list, max_length=STEPS_MAX)
    next_update_at: AwareDatetime | None = None
    resolution: ResolutionIn | None = None

    @model_validator(mode="after")
    def _resolution_when_resolved(self) -> Self:
        if self.status == "resolved" and self.resolution is None:
            raise ValueError(
                "resolution: a resolved update needs root_cause, fix, monitoring "
                "and postmortem_at (003 §4.3)"
            )
        if self.status != "resolved" and self.resolution is not None:
            raise ValueError("resolution: only a resolved update carries resolution facts")
        return self


class StatusUpdateOut(BaseModel):
    """A posted update, whole."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    incident_id: int
    kind: str
    status: str
    impact: str
    symptoms: str | None
    mitigation: str | None
    next_steps: list[dict[str, Any]]
    resolution: dict[str, Any] | None
    posted_by: str
    posted_at: datetime
    next_update_due_at: datetime | None
    fanned_out_at: datetime | None
