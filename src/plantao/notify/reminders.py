"""A short reminder to one person ("the status update of INC-… is overdue"), through the outbox
as a :mod:`~plantao.notify.person_messages` message (once per contact method, idempotent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from plantao.config import get_settings
from plantao.incidents.models import Incident
from plantao.notify import person_messages, rendering
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


def remind(session: Session, incident: Incident, user: User, reminder: Reminder, key: str) -> int:
    """Write the reminder's outbox rows for ``user``; returns how many were new (0: nobody
    reachable, or already written under ``key``)."""
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
    message = person_messages.PersonMessage(
        subject=texts["subject"].format(**values),
        text=texts["body"].format(**values),
        ref=incident.human_id,
        step="status update reminder",
        reason="status update overdue",
        severity=incident.severity,
        incident_id=incident.id,
        urgency="high",
    )
    return person_messages.send(session, user, message, key)
