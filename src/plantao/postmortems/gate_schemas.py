"""The release gate at the edge (API bodies and answers, validated once)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

ENV_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class ReasonOut(BaseModel):
    """Why a release is blocked: an open must-fix action (``AC-03``: owner and due date) or an
    open incident of a blocking severity (severity and status)."""

    kind: Literal["action", "incident"]
    id: str
    incident: str
    title: str
    owner: str | None = None
    due: date | None = None
    severity: str | None = None
    status: str | None = None


class OverrideInfo(BaseModel):
    """The override that let a blocked release through."""

    id: int
    reason: str
    by: str
    expires_at: datetime


class GateAnswerOut(BaseModel):
    """The gate's answer: 200 when ``allowed``, 409 when not; ``blocking`` lists the reasons
    either way (with an override they are what it overrode); ``decision`` is the stored
    decision's id."""

    allowed: bool
    service: str
    environment: str | None
    blocking: list[ReasonOut]
    override: OverrideInfo | None = None
    decision: int


class DecisionOut(BaseModel):
    id: int
    at: datetime
    service: str
    environment: str | None
    asked_by: str
    via: str
    allowed: bool
    blocking: list[ReasonOut]
    override_id: int | None


class OverrideIn(BaseModel):
    """Let a service's releases through whatever blocks them, until ``expires_at`` (at most 7
    days ahead); ``environment`` omitted: every environment."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    service: str = Field(min_length=1, max_length=64, pattern=SLUG_PATTERN)
    environment: str | None = Field(default=None, max_length=64, pattern=ENV_PATTERN)
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: AwareDatetime


class OverrideOut(BaseModel):
    id: int
    service: str
    environment: str | None
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool
