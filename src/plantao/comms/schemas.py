"""What the message-template API takes and answers, validated once at the edge.

A preview names a template and optionally a language and time zone; an escalation or a
data-loss notice also takes what only the person composing it knows (seed 003 §9.3: what help
is needed, what happens with no answer; §8.2: which backup was restored, which interval was
lost). Pure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from plantao.comms.facts import DataLoss, EscalationAsk


class EscalationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    help_needed: str = Field(min_length=1, max_length=2000)
    if_no_answer: str | None = Field(default=None, max_length=1000)
    answer_within_minutes: int | None = Field(default=None, ge=1, le=1440)

    def facts(self) -> EscalationAsk:
        return EscalationAsk(
            self.help_needed, self.if_no_answer or None, self.answer_within_minutes
        )


class DataLossIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    backup_at: AwareDatetime
    lost_from: AwareDatetime
    lost_until: AwareDatetime
    scope: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.lost_until < self.lost_from:
            raise ValueError("lost_until is before lost_from")
        return self

    def facts(self) -> DataLoss:
        return DataLoss(self.backup_at, self.lost_from, self.lost_until, self.scope or None)


class PreviewIn(BaseModel):
    """Render ``template`` from the incident's real data; nothing is sent or stored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    template: str = Field(min_length=1, max_length=64)
    language: str | None = Field(default=None, max_length=16, description="en or pt-BR")
    time_zone: str | None = Field(
        default=None, max_length=64, description="IANA zone; default: yours, else UTC"
    )
    escalation: EscalationIn | None = None
    data_loss: DataLossIn | None = None


class RenderedOut(BaseModel):
    template: str
    language: str
    time_zone: str
    subject: str
    text: str


class TemplateState(BaseModel):
    name: str
    language: str
    overridden: bool
    updated_by: str | None = None
    updated_at: datetime | None = None


class TemplateList(BaseModel):
    items: list[TemplateState]


class SourceOut(BaseModel):
    subject: str
    body: str


class OverrideOut(SourceOut):
    updated_by: str
    updated_at: datetime


class TemplateDetail(BaseModel):
    name: str
    language: str
    shipped: SourceOut
    override: OverrideOut | None = None


class TemplateIn(BaseModel):
    """An override: the subject line and the body, Jinja2 over the documented variables."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=1000)
    body: str = Field(min_length=1, max_length=20_000)
