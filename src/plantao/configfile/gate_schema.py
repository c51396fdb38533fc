"""``release_gate:`` in ``plantao.yaml``: which open incidents block a service's releases.

At the top level it is the installation default, under a service that service's own;
``block_open_severities: []`` means open incidents never block (must-fix actions still do).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SEVERITIES = ("sev1", "sev2", "sev3", "sev4")


class ReleaseGateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    block_open_severities: list[str] = Field(default_factory=lambda: ["sev1", "sev2"])

    @field_validator("block_open_severities")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            word = value.strip().lower()
            if word not in _SEVERITIES:
                raise ValueError(f"unknown severity '{value}'; use sev1, sev2, sev3 or sev4")
            if word not in out:
                out.append(word)
        return sorted(out)

    def stored(self) -> str:
        """The ``gate_settings.block_open_severities`` text (``sev1,sev2``)."""
        return ",".join(self.block_open_severities)
