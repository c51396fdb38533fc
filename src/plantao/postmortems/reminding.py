"""Due-date reminders for postmortems and corrective actions, through the outbox.

A postmortem's owner hears 24 h before it is due, at the due time, then every 24 h while it is
overdue (seven overdue reminders at most), until it is published. A corrective action's owner
hears at 09:00 (in the owner's time zone) the day before its due date and on the due date, then
at 09:00 every day while it is overdue (seven at most), until it is done or won't be done.

:func:`arm_postmortem` and :func:`arm_action` are called by whoever creates a postmortem or an
action or changes its due date, owner or status. Each takes a new ``reminder_token`` and
enqueues one job per reminder still ahead. A job whose token is stale (the object was armed
again since), whose due date no longer matches, or whose object is finished drops without a
word. Messages are keyed by the object and the reminder's instant (plus the person and contact
method, :mod:`plantao.notify.person_messages`), so two engines, a replayed job or a re-arm that
changed nothing send each reminder once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import get_settings
from plantao.db import run_transaction
from plantao.incidents.models import Incident
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed
from plantao.notify import person_messages
from plantao.people.models import User
from plantao.postmortems import business_days
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.models import ACTION_OPEN, CorrectiveAction, Postmortem

log = structlog.get_logger("plantao.postmortems.reminding")

POSTMORTEM_JOB = "postmortems.remind"
ACTION_JOB = "actions.remind"
#: How many reminders follow the due time while the object is still not finished.
MAX_OVERDUE = 7
POSTMORTEM_LEAD = timedelta(hours=24)
POSTMORTEM_EVERY = timedelta(hours=24)
#: Actions are due on a date: their owner hears at this local hour.
ACTION_HOUR = time(9, 0)

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "pm_before_subject": "[{ref}] postmortem due in 24 h",
        "pm_due_subject": "[{ref}] postmortem due now",
        "pm_overdue_subject": "[{ref}] postmortem overdue ({days} d)",
        "pm_body": (
            "Hi {name},\n\nThe postmortem of {ref} ({title}) is due at {due}. "
            "{state}\nYou are its owner; please finish it and send it for review:\n{url}"
        ),
        "pm_before": "It is due in 24 hours.",
        "pm_due": "It is due now.",
        "pm_overdue": "It is {days} day(s) overdue.",
        "ac_before_subject": "[{ref}] corrective action due tomorrow",
        "ac_due_subject": "[{ref}] corrective action due today",
        "ac_overdue_subject": "[{ref}] corrective action overdue ({days} d)",
        "ac_body": (
            "Hi {name},\n\nCorrective action {ref} ({title}) from {incident} is due on {due}. "
            "{state}\nYou are its owner; please finish it or say why it will not be done:\n{url}"
        ),
        "ac_before": "It is due tomorrow.",
        "ac_due": "It is due today.",
        "ac_overdue": "It is {days} day(s) overdue.",
    },
    "pt-BR": {
        "pm_before_subject": "[{ref}] postmortem vence em 24 h",
        "pm_due_subject": "[{ref}] postmortem vence agora",
        "pm_overdue_subject": "[{ref}] postmortem atrasado ({days} d)",
        "pm_body": (
            "Olá {name},\n\nO postmortem de {ref} ({title}) vence em {due}. "
            "{state}\nVocê é o responsável; termine-o e envie-o para revisão:\n{url}"
        ),
        "pm_before": "Vence em 24 horas.",
        "pm_due": "Vence agora.",
        "pm_overdue": "Está {days} dia(s) atrasado.",
        "ac_before_subject": "[{ref}] ação corretiva vence amanhã",
        "ac_due_subject": "[{ref}] ação corretiva vence hoje",
        "ac_overdue_subject": "[{ref}] ação corretiva atrasada ({days} d)",
        "ac_body": (
            "Olá {name},\n\nA ação corretiva {ref} ({title}) de {incident} vence em {due}. "
            "{state}\nVocê é o responsável; conclua-a ou diga por que não será feita:\n{url}"
        ),
        "ac_before": "Vence amanhã.",
        "ac_due": "Vence hoje.",
        "ac_overdue": "Está {days} dia(s) atrasada.",
    },
}


def postmortem_instants(due_at: datetime) -> list[datetime]:
    """Every reminder of a postmortem due at ``due_at``: 24 h before, at due, 7 overdue."""
    due = due_at.astimezone(UTC)
    return [due - POSTMORTEM_LEAD] + [due + POSTMORTEM_EVERY * n for n in range(MAX_OVERDUE + 1)]


def action_instants(due_date: date, time_zone: str) -> list[datetime]:
    """Every reminder of an action due on ``due_date``: 09:00 local the day before, on the day,
    then each of the 7 days after (a zone the owner mistyped counts in UTC)."""
    try:
        tz = business_days.zone(time_zone)
    except ValueError:
        tz = business_days.zone("UTC")
    days = [due_date + timedelta(days=n) for n in range(-1, MAX_OVERDUE + 1)]
    return [datetime.combine(d, ACTION_HOUR, tzinfo=tz).astimezone(UTC) for d in days]


def _language(user: User) -> str:
    return user.language if user.language in _TEXTS else "en"


def _url(path: str) -> str:
    return f"{get_settings().base_url.rstrip('/')}{path}"


def _jobs(
    kind: str, key: str, token: int, due: str, instants: list[datetime]
) -> list[job_service.NewJob]:
    """One job per reminder still ahead; ``n`` is its place in the schedule (0: before)."""
    now = clock.now()
    return [
        job_service.NewJob(
            kind,
            {"id": int(key), "token": token, "due": due, "n": n, "at": at.isoformat()},
            due_at=at,
            dedup_key=f"{kind}:{key}:{token}:{n}",
        )
        for n, at in enumerate(instants)
        if at > now
    ]


def arm_postmortem(session: Session, pm: Postmortem) -> int:
    """Start (again) the reminders of ``pm`` after its due date or owner changed, or it was
    created; returns how many were scheduled (0: no due date, no owner, or published)."""
    pm.reminder_token = (pm.reminder_token or 0) + 1
    session.flush()
    if pm.due_at is None or pm.owner_user_id is None or pm.status == "published":
        return 0
    jobs = _jobs(
        POSTMORTEM_JOB,
        str(pm.id),
        pm.reminder_token,
        pm.due_at.astimezone(UTC).isoformat(),
        postmortem_instants(pm.due_at),
    )
    job_service.enqueue_many(session, jobs)
    return len(jobs)


def arm_action(session: Session, action: CorrectiveAction) -> int:
    """Start (again) the reminders of ``action`` after it was created or its due date, owner
    or status changed; returns how many were scheduled (0: no owner, or finished)."""
    action.reminder_token = (action.reminder_token or 0) + 1
    session.flush()
    if action.owner_user_id is None or action.status not in ACTION_OPEN:
        return 0
    owner = session.get(User, action.owner_user_id)
    if owner is None:
        return 0
    jobs = _jobs(
        ACTION_JOB,
        str(action.id),
        action.reminder_token,
        action.due_date.isoformat(),
        action_instants(action.due_date, owner.time_zone),
    )
    job_service.enqueue_many(session, jobs)
    return len(jobs)


def _local(at: datetime, user: User) -> str:
    try:
        tz = business_days.zone(user.time_zone)
    except ValueError:
        tz = business_days.zone("UTC")
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def _phase(n: int) -> tuple[str, int]:
    """Reminder ``n`` of a schedule: ``before`` (0), ``due`` (1) or ``overdue`` by n-1 days."""
    if n == 0:
        return "before", 0
    return ("due", 0) if n == 1 else ("overdue", n - 1)


def _locked(session: Session, model: type[Any], row_id: int) -> Any:
    return session.scalars(select(model).where(model.id == row_id).with_for_update()).first()


def remind_postmortem(session: Session, payload: dict[str, Any]) -> str:
    """The ``postmortems.remind`` job body; returns what happened (``sent``, ``stale``,
    ``finished``, ``nothing_new``: already sent, or the owner has no contact method)."""
    pm = _locked(session, Postmortem, int(payload["id"]))
    if pm is None or pm.reminder_token != int(payload["token"]) or pm.due_at is None:
        return "stale"
    if pm.due_at.astimezone(UTC).isoformat() != payload["due"]:
        return "stale"
    if pm.status == "published":
        return "finished"
    owner = None if pm.owner_user_id is None else session.get(User, pm.owner_user_id)
    incident = session.get(Incident, pm.incident_id)
    if owner is None or incident is None:
        return "stale"
    texts = _TEXTS[_language(owner)]
    phase, days = _phase(int(payload["n"]))
    values = {
        "ref": incident.human_id,
        "title": incident.title,
        "name": owner.name,
        "due": _local(pm.due_at, owner),
        "days": days,
        "url": _url(f"/postmortems/{pm.id}"),
    }
    values["state"] = texts[f"pm_{phase}"].format(**values)
    message = person_messages.PersonMessage(
        subject=texts[f"pm_{phase}_subject"].format(**values),
        text=texts["pm_body"].format(**values),
        ref=incident.human_id,
        step="postmortem reminder",
        reason=f"postmortem {phase}",
        severity=incident.severity,
        incident_id=incident.id,
    )
    key = f"{POSTMORTEM_JOB}:{pm.id}:{payload['at']}"
    sent = person_messages.send(session, owner, message, key)
    return "sent" if sent else "nothing_new"


def remind_action(session: Session, payload: dict[str, Any]) -> str:
    """The ``actions.remind`` job body; returns what happened (see :func:`remind_postmortem`)."""
    action = _locked(session, CorrectiveAction, int(payload["id"]))
    if action is None or action.reminder_token != int(payload["token"]):
        return "stale"
    if action.due_date.isoformat() != payload["due"]:
        return "stale"
    if action.status not in ACTION_OPEN:
        return "finished"
    owner = None if action.owner_user_id is None else session.get(User, action.owner_user_id)
    incident = session.get(Incident, action.incident_id)
    if owner is None or incident is None:
        return "stale"
    texts = _TEXTS[_language(owner)]
    phase, days = _phase(int(payload["n"]))
    ref = format_action_id(action.id)
    values = {
        "ref": ref,
        "title": action.title,
        "incident": incident.human_id,
        "name": owner.name,
        "due": action.due_date.isoformat(),
        "days": days,
        "url": _url(f"/actions/{ref}"),
    }
    values["state"] = texts[f"ac_{phase}"].format(**values)
    message = person_messages.PersonMessage(
        subject=texts[f"ac_{phase}_subject"].format(**values),
        text=texts["ac_body"].format(**values),
        ref=ref,
        step="corrective action reminder",
        reason=f"corrective action {phase}",
        severity=action.severity,
        incident_id=incident.id,
    )
    key = f"{ACTION_JOB}:{action.id}:{payload['at']}"
    sent = person_messages.send(session, owner, message, key)
    return "sent" if sent else "nothing_new"


def _handler(
    kind: str, body: Callable[[Session, dict[str, Any]], str]
) -> Callable[[sessionmaker[Session], Claimed], None]:
    def handle(factory: sessionmaker[Session], job: Claimed) -> None:
        outcome = run_transaction(factory, lambda s: body(s, job.payload))
        log.info(kind, id=job.payload.get("id"), n=job.payload.get("n"), outcome=outcome)

    return handle


#: The engine's handlers (registered in ``engine/handlers.py``).
postmortem_job = _handler(POSTMORTEM_JOB, remind_postmortem)
action_job = _handler(ACTION_JOB, remind_action)
