"""``handoffs:`` in plantao.yaml: when shift handoffs are drafted and when they go out anyway.

```yaml
handoffs:
  lead: 60m         # draft this long before each shift change (0m to 24h)
  send_after: 15m   # send this long after it unless the outgoing person sent it (0m to 24h)
  enabled: true
```
Whole minutes, because that is what people plan a hand-over in. Pure: validation only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from plantao.configfile.durations import parse_duration

__all__ = ["HandoffsSpec"]

_MAX = timedelta(hours=24)


class HandoffsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    lead: str | int = "60m"
    send_after: str | int = "15m"
    enabled: bool = True

    @field_validator("lead", "send_after")
    @classmethod
    def _minutes(cls, value: str | int) -> str | int:
        span = parse_duration(value)
        if span < timedelta(0) or span > _MAX or span % timedelta(minutes=1):
            raise ValueError("a whole number of minutes from 0m to 24h")
        return value

    def stored(self) -> dict[str, Any]:
        return {
            "lead_minutes": int(parse_duration(self.lead) // timedelta(minutes=1)),
            "send_after_minutes": int(parse_duration(self.send_after) // timedelta(minutes=1)),
            "enabled": self.enabled,
        }
