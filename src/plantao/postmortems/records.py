"""Finding and starting an incident's postmortem. ``ensure`` is the one way a postmortem is
created — by a person (API, web, CLI) or by the engine when an incident that owes one is
resolved — so the obligation, the due date, the first version and the reminders are set the
same way every time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.command import role_holders
from plantao.config import get_settings
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.postmortems import drafting, obligations, scheduling
from plantao.postmortems.models import Postmortem, PostmortemVersion


def for_incident(session: Session, incident_id: int) -> Postmortem | None:
    return session.scalar(select(Postmortem).where(Postmortem.incident_id == incident_id))


def default_owner(session: Session, incident: Incident) -> User | None:
    """Who writes it unless someone else is named: the Incident Commander."""
    holder = role_holders.holder_of(session, incident.id, "incident_commander")
    return None if holder is None else session.get(User, holder.user_id)


def ensure(
    session: Session, incident: Incident, *, actor: str, language: str | None = None
) -> tuple[Postmortem, bool]:
    """The incident's postmortem, created with its generated draft as version 1 when it has
    none; the boolean says whether it was created now. Locks nothing: the unique index on
    ``incident_id`` is the backstop when two callers race (the loser's flush fails and its
    transaction is retried by the caller)."""
    existing = for_incident(session, incident.id)
    if existing is not None:
        return existing, False
    owner = default_owner(session, incident)
    lang = language or (owner.language if owner is not None else None) or get_settings().language
    lang = lang if lang in ("en", "pt-BR") else "en"
    duty = obligations.of(session, incident)
    now = clock.now()
    markdown = drafting.draft(session, incident, lang)
    row = Postmortem(
        incident_id=incident.id,
        status="draft",
        required=duty.required,
        due_at=duty.due_at,
        owner_user_id=None if owner is None else owner.id,
        language=lang,
        markdown=markdown,
        version=1,
        created_by=actor,
        created_at=now,
        updated_at=now,
        reminder_token=0,
    )
    session.add(row)
    session.flush()
    session.add(
        PostmortemVersion(
            postmortem_id=row.id,
            version=1,
            markdown=markdown,
            author=actor,
            at=now,
            note="generated draft",
        )
    )
    session.flush()
    scheduling.scheduled(session, incident, row)
    return row, True
