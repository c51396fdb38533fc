"""Sending a handoff, exactly once: to the incoming people and the team's channels.

Once: the draft → sent transition is one conditional ``UPDATE … WHERE status = 'draft' AND
send_at <= now``. On PostgreSQL a second engine's identical UPDATE waits for the first
transaction's row lock and then finds the row no longer a draft (0 rows): only the transaction
that made the transition writes outbox rows, and each row's idempotency key
(``handoff:<id>:…``) is the backstop for a replay. If the transaction fails, the row is still a
draft and the next cycle tries again.

The facts are gathered once more at sending, so the note describes the whole shift (the draft
was gathered up to an hour before its end), then frozen in the row with the recipients. The
people get it through the outbox (``notify.person_messages``: the contact methods their rules
use at once), each in their own language; a channel gets it in the channel's language. The
engine's delivery step does the sending, with its retries and throttles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao.db import is_postgres, wake_engines
from plantao.notify import person_messages
from plantao.notify.models import Delivery
from plantao.notify.person_messages import PersonMessage
from plantao.oncall.handoff_facts import HandoffFacts
from plantao.oncall.handoff_gather import Channel, Extras, gather, team_ids
from plantao.oncall.handoff_models import Handoff
from plantao.oncall.handoff_render import render
from plantao.oncall.models import OncallSchedule
from plantao.people.models import User

__all__ = ["STEP", "due", "send_due", "send_one"]

#: The outbox step of handoff messages (the deliveries page shows it).
STEP = "handoff"
_BATCH = 20


def due(session: Session, now: datetime, limit: int = _BATCH) -> list[int]:
    """Drafts whose sending time has come, oldest first."""
    return list(
        session.scalars(
            select(Handoff.id)
            .where(Handoff.status == "draft", Handoff.send_at <= now)
            .order_by(Handoff.send_at, Handoff.id)
            .limit(limit)
        )
    )


def _claim(session: Session, handoff_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "draft", Handoff.send_at <= now)
        .values(status="sent", sent_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _ref(facts: HandoffFacts) -> str:
    return f"handoff {facts.schedule}"[:64]


def _people(session: Session, row: Handoff, facts: HandoffFacts) -> list[dict[str, Any]]:
    users = {
        u.handle: u
        for u in session.scalars(
            select(User).where(User.handle.in_(list(row.incoming)), User.disabled_at.is_(None))
        )
    }
    out: list[dict[str, Any]] = []
    for handle in row.incoming:
        user = users.get(handle)
        if user is None:
            out.append({"kind": "person", "handle": handle, "channels": [], "queued": 0})
            continue
        text = render(facts, row.notes, user.language)
        message = PersonMessage(
            subject=text.subject,
            text=text.text,
            ref=_ref(facts),
            step=STEP,
            reason=f"on-call handoff of {facts.schedule}",
        )
        channels = [c.type for c in person_messages.contacts(session, user.id)]
        queued = person_messages.send(session, user, message, f"{STEP}:{row.id}")
        out.append({"kind": "person", "handle": handle, "channels": channels, "queued": queued})
    return out


def _channels(
    session: Session, row: Handoff, facts: HandoffFacts, channels: Sequence[Channel], now: datetime
) -> list[dict[str, Any]]:
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = builder(Delivery).on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
    out: list[dict[str, Any]] = []
    for channel in channels:
        text = render(facts, row.notes, channel.language)
        session.execute(
            stmt,
            {
                "idempotency_key": f"{STEP}:{row.id}:{channel.key}"[:255],
                "kind": "message",
                "incident_id": None,
                "user_id": None,
                "contact_method_id": None,
                "channel": channel.kind,
                "address": channel.address,
                "step": STEP,
                "reason": f"on-call handoff of {facts.schedule} to {channel.name}"[:500],
                "urgency": "low",
                "incident_ref": _ref(facts),
                "severity": "sev4",
                "subject": text.subject,
                "text": text.text,
                "html": None,
                "links": [],
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        out.append({"kind": "channel", "name": channel.name, "channel": channel.kind, "queued": 1})
    if channels:
        wake_engines(session)
    return out


def send_one(
    session: Session, handoff_id: int, now: datetime, extras: Extras | None = None
) -> bool:
    """Send one due draft; False when it was not due or another transaction sent it."""
    if not _claim(session, handoff_id, now):
        return False
    row = session.get(Handoff, handoff_id, populate_existing=True)
    assert row is not None
    schedule = session.get(OncallSchedule, row.schedule_id)
    assert schedule is not None
    stored = HandoffFacts.from_dict(row.facts)
    facts = gather(
        session,
        schedule,
        shift_start=stored.shift_start,
        handoff_at=row.handoff_at,
        outgoing=row.outgoing,
        incoming=row.incoming,
        now=now,
        extras=extras,
    )
    channels = extras.channels(session, team_ids(session, schedule.slug)) if extras else []
    row.facts = facts.to_dict()
    row.recipients = _people(session, row, facts) + _channels(session, row, facts, channels, now)
    session.flush()
    return True


def send_due(session: Session, now: datetime, extras: Extras | None = None) -> int:
    """Send every due draft (a batch); returns how many this transaction sent."""
    return sum(1 for handoff_id in due(session, now) if send_one(session, handoff_id, now, extras))
