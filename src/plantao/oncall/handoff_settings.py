"""How far ahead a handoff is drafted and how long after the hand-over it goes out anyway.

Stored as the on-call settings document ``handoffs`` (``oncall_settings``), written by
``plantao apply`` from the ``handoffs:`` section of ``plantao.yaml``; the defaults apply until
then. Why a draft ahead of time: the outgoing person needs a while to read what was gathered
and add notes. Why a grace period after the hand-over: the last minutes of a shift are often
the busiest, and the note should still arrive without anyone pressing "send".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from plantao.errors import ValidationFailed
from plantao.oncall import settings as oncall_settings
from plantao.oncall.models import OncallSetting

NAME = "handoffs"
DEFAULT_LEAD_MINUTES = 60
DEFAULT_SEND_AFTER_MINUTES = 15
_MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class HandoffSettings:
    """``lead``: draft this long before the hand-over; ``send_after``: send this long after it
    unless the outgoing person sent it earlier; ``enabled``: generate handoffs at all."""

    lead: timedelta = timedelta(minutes=DEFAULT_LEAD_MINUTES)
    send_after: timedelta = timedelta(minutes=DEFAULT_SEND_AFTER_MINUTES)
    enabled: bool = True


def from_dict(body: dict[str, Any]) -> HandoffSettings:
    """Validated settings from a document; ValidationFailed names the bad field."""
    unknown = sorted(set(body) - {"lead_minutes", "send_after_minutes", "enabled"})
    if unknown:
        raise ValidationFailed(f"handoffs.{unknown[0]}: unknown setting")
    values = {}
    for key, default in (
        ("lead_minutes", DEFAULT_LEAD_MINUTES),
        ("send_after_minutes", DEFAULT_SEND_AFTER_MINUTES),
    ):
        value = body.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_MINUTES:
            raise ValidationFailed(f"handoffs.{key}: a whole number of minutes from 0 to 1440")
        values[key] = value
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValidationFailed("handoffs.enabled: true or false")
    return HandoffSettings(
        lead=timedelta(minutes=values["lead_minutes"]),
        send_after=timedelta(minutes=values["send_after_minutes"]),
        enabled=enabled,
    )


def load(session: Session) -> HandoffSettings:
    row = session.get(OncallSetting, NAME)
    return HandoffSettings() if row is None else from_dict(row.body)


def put(session: Session, body: dict[str, Any]) -> str:
    """Store validated settings (create / update / keep), for ``plantao apply``."""
    from_dict(body)
    return oncall_settings.put(session, NAME, body)
