"""The incident page's Stakeholders card: who is kept informed of this incident, and what
happened to the status-update messages sent to them (sent, retrying, failed: the provider's
error), so that "stakeholders notified" is something the Comms Lead can see, not assume.

Names and channels only: addresses (e-mail lists, webhook URLs) stay on ``/stakeholders`` for
managers. The message states are the outbox's, worded like the paged people's deliveries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.command import stakeholders
from plantao.incidents.models import Incident
from plantao.notify.models import Delivery
from plantao.web.whos_on_it import delivery_state

#: The newest messages the card lists (an incident's whole history is on /deliveries).
SHOWN = 30


@dataclass(frozen=True)
class Informed:
    name: str
    kind: str
    language: str


@dataclass(frozen=True)
class MessageLine:
    stakeholder: str
    channel: str
    update_id: str
    state: str
    reason: str | None
    at: datetime


def panel(session: Session, incident: Incident) -> dict[str, Any]:
    """The card's context: ``stk_informed`` (the audience now) and ``stk_messages``."""
    audience = stakeholders.audience_for(session, incident)
    rows = session.scalars(
        select(Delivery)
        .where(
            Delivery.incident_id == incident.id,
            Delivery.kind == "message",
            Delivery.step.like("update:%"),
        )
        .order_by(Delivery.id.desc())
        .limit(SHOWN)
    )
    lines = []
    for row in rows:
        state, reason = delivery_state(row)
        lines.append(
            MessageLine(
                stakeholder=row.reason.removeprefix("stakeholder "),
                channel=row.channel,
                update_id=row.step.removeprefix("update:"),
                state=state,
                reason=reason if state not in ("sent", "queued", "sending") else None,
                at=row.sent_at or row.created_at,
            )
        )
    return {
        "stk_informed": [Informed(s.name, s.kind, s.language) for s in audience],
        "stk_messages": lines,
        "stk_private": incident.private,
    }
