"""A short reminder to one person ("the status update of INC-… is overdue"), through the outbox.

Not a page: it does not follow the person's escalation-style notification rules over time and
carries no ack/resolve links; it goes once to the contact methods their rules use at once
(``after_seconds = 0``), or to all their contact methods when no rule says. One ``message``
delivery per contact method, keyed ``<key>:<user>:<contact>``: a replayed reminder (a retried
job, a second engine) inserts nothing the second time. The engine's delivery step sends it
with the same retries and throttles as a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.config import get_settings
from plantao.db import is_postgres, wake_engines
from plantao.incidents.models import Incident
from plantao.notify import rendering
from plantao.notify.models import ContactMethod, Delivery, NotificationRule
from plantao.people.models import User

_TEXTS = {
    "en": {
        "subject": "[{ref}] status update overdue ({severity})",
        "body": (
            "Hi {name},\n\nThe next status update of {ref} ({title}) was due at {due} "
            "and has not been posted. As {role}, please post one now:\n{url}\n\n"
            "Updates are due every {every} at {severity}."
        ),
        "every_close": "at close",
    },
    "pt-BR": {
        "subject": "[{ref}] atualização de status atrasada ({severity})",
        "body": (
            "Olá {name},\n\nA próxima atualização de status de {ref} ({title}) vencia às {due} "
            "e não foi publicada. Como {role}, publique uma agora:\n{url}\n\n"
            "Em {severity}, as atualizações saem a cada {every}."
        ),
        "every_close": "no encerramento",
    },
}
_ROLES = {
    "en": {
        "comms_lead": "Comms Lead",
        "incident_commander": "Incident Commander",
        "responder": "responder",
    },
    "pt-BR": {
        "comms_lead": "Comms Lead",
        "incident_commander": "Incident Commander",
        "responder": "responsável",
    },
}


@dataclass(frozen=True)
class Reminder:
    """What the message says: the due time, the cadence and why this person gets it."""

    due_at: datetime
    every_minutes: int | None
    role: str  # comms_lead | incident_commander | responder


def _every(minutes: int | None, language: str) -> str:
    if minutes is None:
        return _TEXTS[language]["every_close"]
    return f"{minutes // 60} h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes} min"


def _contacts(session: Session, user_id: int) -> list[ContactMethod]:
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


def remind(session: Session, incident: Incident, user: User, reminder: Reminder, key: str) -> int:
    """Write the reminder's outbox rows for ``user``; returns how many were new (0: nobody
    reachable, or already written under ``key``)."""
    contacts = _contacts(session, user.id)
    if not contacts:
        return 0
    language = rendering.language_for(user.language)
    texts = _TEXTS[language]
    url = f"{get_settings().base_url.rstrip('/')}/incidents/{incident.human_id}"
    values = {
        "ref": incident.human_id,
        "title": incident.title,
        "severity": incident.severity,
        "name": user.name,
        "due": reminder.due_at.strftime("%H:%M UTC"),
        "role": _ROLES[language].get(reminder.role, reminder.role),
        "url": url,
        "every": _every(reminder.every_minutes, language),
    }
    now = clock.now()
    rows: list[dict[str, Any]] = [
        {
            "idempotency_key": f"{key}:{user.id}:{contact.id}"[:255],
            "kind": "message",
            "incident_id": incident.id,
            "user_id": user.id,
            "contact_method_id": contact.id,
            "channel": contact.type,
            "step": "status update reminder",
            "reason": "status update overdue",
            "urgency": "high",
            "incident_ref": incident.human_id,
            "severity": incident.severity,
            "subject": texts["subject"].format(**values),
            "text": texts["body"].format(**values),
            "html": None,
            "links": [],
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for contact in contacts
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
