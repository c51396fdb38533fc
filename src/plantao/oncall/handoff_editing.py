"""Reading handoffs, editing their notes, and "send now" — until the handoff is sent.

Who may edit or send early: the outgoing person (the note is theirs), a manager of a team that
owns one of the schedule's services, or an admin. Everyone who can read may see handoffs.
Both changes go to the audit log. After sending, the text is what people received: a change is
refused with 409 rather than silently making the stored copy differ from the delivered one.

"Send now" does not send from the request: it moves ``send_at`` to now and wakes the engines,
whose sending step makes the one draft → sent transition (``handoff_sending``). One path sends,
so pressing the button while the engine sends anyway still sends once.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.db import wake_engines
from plantao.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from plantao.oncall import schedules
from plantao.oncall.handoff_facts import HandoffFacts
from plantao.oncall.handoff_gather import team_ids
from plantao.oncall.handoff_models import Handoff
from plantao.oncall.handoff_render import Rendered, render
from plantao.oncall.models import OncallSchedule
from plantao.people import audit

__all__ = [
    "MAX_NOTES",
    "can_edit",
    "edit_notes",
    "get",
    "list_for",
    "schedule_of",
    "send_now",
    "text_of",
]

MAX_NOTES = 10_000
MAX_LIST = 200
#: What no database column can hold (PostgreSQL refuses NUL; lone surrogates are no text).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def get(session: Session, handoff_id: int, *, lock: bool = False) -> Handoff:
    """The handoff; ``lock`` holds its row (PostgreSQL) so an edit cannot cross the sending."""
    row = session.get(Handoff, handoff_id, with_for_update=lock or None)
    if row is None:
        raise NotFound(f"handoff {handoff_id} does not exist")
    return row


def schedule_of(session: Session, row: Handoff) -> OncallSchedule:
    schedule = session.get(OncallSchedule, row.schedule_id)
    assert schedule is not None
    return schedule


def list_for(
    session: Session, schedule_slug: str | None, limit: int = 50, before: datetime | None = None
) -> list[Handoff]:
    """Newest first; one schedule (by slug; 404 when unknown) or all of them."""
    if not 1 <= limit <= MAX_LIST:
        raise ValidationFailed(f"limit: must be between 1 and {MAX_LIST}")
    query = select(Handoff).order_by(Handoff.handoff_at.desc(), Handoff.id.desc()).limit(limit)
    if schedule_slug is not None:
        if not _SLUG.match(schedule_slug):
            raise NotFound(f"schedule '{schedule_slug[:64]}' does not exist")
        query = query.where(Handoff.schedule_id == schedules.get(session, schedule_slug).id)
    if before is not None:
        query = query.where(Handoff.handoff_at < before)
    return list(session.scalars(query))


def text_of(row: Handoff, language: str) -> Rendered:
    """The handoff as its recipients read (or will read) it."""
    return render(HandoffFacts.from_dict(row.facts), row.notes, language)


def can_edit(session: Session, row: Handoff, who: Principal) -> bool:
    """The outgoing person, a manager of a team owning the schedule's services, or an admin."""
    if who.is_admin or who.handle in row.outgoing:
        return True
    slug = schedule_of(session, row).slug
    return any(who.can(Need.MANAGE, team_id) for team_id in team_ids(session, slug))


def _editable(session: Session, row: Handoff, who: Principal) -> None:
    if not can_edit(session, row, who):
        raise PermissionDenied(
            "only the outgoing person, a manager of the team or an admin may change this handoff"
        )
    if row.status != "draft":
        raise Conflict(f"handoff {row.id} was already sent; it can no longer change")


def edit_notes(session: Session, row: Handoff, who: Principal, notes: str) -> Handoff:
    """Replace the outgoing person's notes (while the handoff is a draft)."""
    if len(notes) > MAX_NOTES:
        raise ValidationFailed(f"notes: at most {MAX_NOTES} characters")
    if _UNSTORABLE.search(notes):
        raise ValidationFailed("notes: contains characters that cannot be stored (NUL)")
    _editable(session, row, who)
    before = {"notes": row.notes}
    row.notes = notes.replace("\r\n", "\n").strip()
    row.notes_by = who.handle[:200]
    row.notes_at = clock.now()
    audit.record(
        session,
        who.audit_actor,
        "handoff.notes",
        "handoff",
        row.id,
        before=before,
        after={"notes": row.notes},
    )
    session.flush()
    return row


def send_now(session: Session, row: Handoff, who: Principal) -> Handoff:
    """Have the engine send the draft at its next cycle instead of at ``send_at``."""
    _editable(session, row, who)
    now = clock.now()
    before = {"send_at": row.send_at}
    row.send_at = min(row.send_at, now)
    audit.record(
        session,
        who.audit_actor,
        "handoff.send_now",
        "handoff",
        row.id,
        before=before,
        after={"send_at": row.send_at},
    )
    session.flush()
    wake_engines(session)
    return row
