"""A short message to one person through the outbox — a reminder that something they own is
due (a status update, a postmortem, a corrective action) or a report addressed to them.

Not a page: it does not follow the person's notification rules over time and carries no
ack/resolve links; it goes once to the contact methods their rules use at once
(``after_seconds = 0``), or to all their contact methods when no rule says. One ``message``
delivery per contact method, keyed ``<key>:<user>:<contact>``: a replayed message (a retried
job, a second engine) inserts nothing the second time. The engine's delivery step sends it
with the same retries and throttles as a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import is_postgres, wake_engines
from plantao.notify.models import ContactMethod, Delivery, NotificationRule
from plantao.people.models import User


@dataclass(frozen=True)
class PersonMessage:
    """What to send. ``ref`` is what the message is about (``INC-…``, ``AC-07``, a week),
    shown where a page shows its incident; ``incident_id`` ties it to an incident's delivery
    list when there is one."""

    subject: str
    text: str
    ref: str
    step: str
    reason: str
    severity: str = "sev4"
    incident_id: int | None = None
    urgency: str = "low"


def contacts(session: Session, user_id: int) -> list[ContactMethod]:
    """The contact methods a message to ``user_id`` goes to (see the module docstring)."""
    immediate = list(
        session.scalars(
            select(ContactMethod)
            .join(NotificationRule, NotificationRule.contact_method_id == ContactMethod.id)
            .where(NotificationRule.user_id == user_id, NotificationRule.after_seconds == 0)
            .order_by(ContactMethod.id)
            .distinct()
        )
    )
    if immediate:
        return immediate
    return list(
        session.scalars(
            select(ContactMethod).where(ContactMethod.user_id == user_id).order_by(ContactMethod.id)
        )
    )


def send(session: Session, user: User, message: PersonMessage, key: str) -> int:
    """Write the message's outbox rows for ``user``; returns how many were new (0: nobody
    reachable, or already written under ``key``)."""
    methods = contacts(session, user.id)
    if not methods:
        return 0
    now = clock.now()
    rows: list[dict[str, Any]] = [
        {
            "idempotency_key": f"{key}:{user.id}:{contact.id}"[:255],
            "kind": "message",
            "incident_id": message.incident_id,
            "user_id": user.id,
            "contact_method_id": contact.id,
            "channel": contact.type,
            "step": message.step[:64],
            "reason": message.reason[:200],
            "urgency": message.urgency,
            "incident_ref": message.ref[:64],
            "severity": message.severity,
            "subject": message.subject,
            "text": message.text,
            "html": None,
            "links": [],
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for contact in methods
    ]
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = (
        builder(Delivery)
        .on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
        .returning(Delivery.id)
    )
    inserted = sum(1 for row in rows if session.execute(stmt, row).scalar_one_or_none())
    if inserted:
        wake_engines(session)
    return inserted
