"""What a postmortem is at the edge (API bodies and answers, also the CLI's JSON), validated
once. The rules that need the database (is the owner a person? is the change one of the
incident's service's?) live in :mod:`plantao.postmortems.editing`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

TEXT_MAX = 200_000
MAX_INT = 2**31 - 1

Language = Literal["en", "pt-BR"]
Status = Literal["draft", "in_review", "published"]
RootCause = Literal[
    "change_config",
    "change_code",
    "change_infra",
    "capacity",
    "external_dependency",
    "data",
    "security",
    "process",
]


class StartIn(BaseModel):
    """Start the incident's postmortem; its draft is written in ``language`` (default: the
    owner's language, else the installation's)."""

    model_config = ConfigDict(extra="forbid")
    language: Language | None = None


class PostmortemPatch(BaseModel):
    """Change what is given: a new text (``markdown`` with the ``base_version`` it was written
    on), the owner (a handle), the root cause, the change that caused it (``null`` unlinks)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    markdown: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX)
    base_version: int | None = Field(default=None, ge=0, le=MAX_INT)
    note: str | None = Field(default=None, max_length=500, description="why, kept on the version")
    owner: str | None = Field(default=None, min_length=1, max_length=64)
    root_cause: RootCause | None = None
    cause_change: int | None = Field(default=None, ge=1, le=MAX_INT)


class SubmitIn(BaseModel):
    """Ask these people (handles) to review it."""

    model_config = ConfigDict(extra="forbid")
    reviewers: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=20)


class ReviewIn(BaseModel):
    """A reviewer's answer; ``request_changes`` says which in ``comment``."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "request_changes"]
    comment: str | None = Field(default=None, max_length=10_000)


class LintOut(BaseModel):
    """A blame phrase the blameless lint found (a warning: saving is never refused)."""

    line: int
    column: int
    text: str
    message: str


class ReviewOut(BaseModel):
    reviewer: str
    name: str
    decision: Literal["pending", "approved", "changes_requested"]
    decided_at: datetime | None
    decided_version: int | None
    #: Whether the decision was given on the current version.
    current: bool
    comment: str | None
    requested_by: str
    requested_at: datetime


class IncidentRef(BaseModel):
    id: int
    human_id: str
    title: str
    severity: str
    status: str
    url: str


class PostmortemSummary(BaseModel):
    id: int
    status: Status
    version: int
    required: bool
    due_at: datetime | None
    overdue: bool
    owner: str | None
    language: str
    root_cause: str | None
    cause_change: int | None
    incident: IncidentRef
    url: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    published_at: datetime | None
    published_by: str | None


class PostmortemOut(PostmortemSummary):
    markdown: str
    reviews: list[ReviewOut]
    #: Reviewers whose approval of the current version publishing still waits for.
    waiting_for: list[str]
    lint: list[LintOut]


class PostmortemList(BaseModel):
    items: list[PostmortemSummary]


class VersionSummary(BaseModel):
    version: int
    author: str
    at: datetime
    note: str | None
    chars: int


class VersionOut(VersionSummary):
    markdown: str


class VersionList(BaseModel):
    items: list[VersionSummary]
