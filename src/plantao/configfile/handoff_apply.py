"""Applying ``handoffs:``: store the handoff settings document.

A file that does not say ``handoffs`` leaves the stored settings alone (the defaults are a
draft 60 minutes ahead and sending 15 minutes after the change).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao.configfile.common import Change
from plantao.configfile.handoff_schema import HandoffsSpec
from plantao.oncall import handoff_settings

__all__ = ["apply_handoffs"]


def apply_handoffs(session: Session, spec: HandoffsSpec | None) -> list[Change]:
    if spec is None:
        return []
    action = handoff_settings.put(session, spec.stored())
    return [] if action == "keep" else [Change("handoff settings", action, "handoffs")]
