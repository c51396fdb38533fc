"""``operational_review:`` in ``plantao.yaml``: when each team gets its weekly operational
review by e-mail (a weekday and a time in the team's business-calendar zone), or not at all.

YAML 1.1 reads an unquoted ``10:30`` as the number 630 (base 60); that is taken back as
``10:30``, so the time may be written quoted or not.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAY_MINUTES = 24 * 60


class OperationalReviewSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    weekday: Weekday = "monday"
    time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
    enabled: bool = True

    @field_validator("weekday", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("time", mode="before")
    @classmethod
    def _sexagesimal(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < _DAY_MINUTES:
            return f"{value // 60:02d}:{value % 60:02d}"
        return value
