"""Writing a postmortem: starting it, saving a new text, naming its owner, its root cause and
the change that caused the incident.

Every saved text is a new :class:`PostmortemVersion` (nothing is overwritten). A save names the
version it was written on (``base_version``): when someone saved in between it is refused with
409, naming the current version, so two people editing at once never lose each other's text.
A save after a reviewer approved sets that approval back to pending (GitHub's "dismiss stale
approvals"): an approval is for the text the reviewer read. A published postmortem is read-only
until it is reopened.
"""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.changes.models import ChangeEvent
from plantao.errors import Conflict, ValidationFailed
from plantao.incidents.models import Incident
from plantao.people import directory
from plantao.postmortems import history, records, reminding
from plantao.postmortems.models import (
    ROOT_CAUSES,
    Postmortem,
    PostmortemReview,
    PostmortemVersion,
)

TEXT_MAX = 200_000
NOTE_MAX = 500
#: What PostgreSQL's text cannot hold (NUL) and UTF-8 cannot encode (lone surrogates).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: A handle is one line of printable characters.
_HANDLE = re.compile(r"^[^\x00-\x1f\x7f\ud800-\udfff]{1,64}$")


def storable(text: str, field: str) -> None:
    """Refuse (422) text the database would refuse with an error of its own."""
    if _UNSTORABLE.search(text):
        raise ValidationFailed(
            f"the {field} holds a character that cannot be stored (NUL or a lone surrogate)",
            errors=[{"field": field, "message": "unstorable character"}],
        )


def handle_ok(handle: str) -> bool:
    return bool(_HANDLE.match(handle))


def start(
    session: Session, incident: Incident, *, actor: str, language: str | None = None
) -> tuple[Postmortem, bool]:
    """The incident's postmortem, started now (its generated draft as version 1, a timeline
    entry) unless it already has one; the boolean says whether it was started now."""
    pm, created = records.ensure(session, incident, actor=actor, language=language)
    if created:
        history.note(session, pm, "started", actor, f"{actor} started the postmortem")
        session.flush()
    return pm, created


def check_text(markdown: str) -> None:
    storable(markdown, "markdown")
    if not markdown.strip():
        raise ValidationFailed(
            "the postmortem's text is empty", errors=[{"field": "markdown", "message": "empty"}]
        )
    if len(markdown) > TEXT_MAX:
        raise ValidationFailed(
            f"the postmortem's text is longer than {TEXT_MAX} characters",
            errors=[{"field": "markdown", "message": f"over {TEXT_MAX} characters"}],
        )


def writable(pm: Postmortem) -> None:
    if pm.status == "published":
        raise Conflict(f"postmortem {pm.id} is published; reopen it to change it")


def save(
    session: Session,
    pm: Postmortem,
    markdown: str,
    *,
    base_version: int,
    actor: str,
    note: str | None = None,
) -> PostmortemVersion | None:
    """Save ``markdown`` as the next version; None when it is the current text already (nothing
    to save). Refused (409) when the postmortem is published or moved past ``base_version``."""
    writable(pm)
    check_text(markdown)
    if note:
        storable(note, "note")
    if base_version != pm.version:
        latest = version(session, pm, pm.version)
        by = f" by {latest.author}" if latest is not None else ""
        raise Conflict(
            f"postmortem {pm.id} is at version {pm.version} now (saved{by} after version "
            f"{base_version} you edited); nothing was saved: merge your text into version "
            f"{pm.version}"
        )
    if markdown == pm.markdown:
        return None
    now = clock.now()
    pm.version += 1
    pm.markdown = markdown
    pm.updated_at = now
    row = PostmortemVersion(
        postmortem_id=pm.id,
        version=pm.version,
        markdown=markdown,
        author=actor,
        at=now,
        note=(note or "").strip()[:NOTE_MAX] or None,
    )
    session.add(row)
    session.execute(
        update(PostmortemReview)
        .where(PostmortemReview.postmortem_id == pm.id, PostmortemReview.decision == "approved")
        .values(decision="pending", decided_at=None)
    )
    session.flush()
    return row


def set_owner(session: Session, pm: Postmortem, handle: str, *, actor: str) -> bool:
    """Name who writes it; its reminders follow the new owner. False when unchanged."""
    writable(pm)
    user = directory.by_handle(session, handle.strip()) if handle_ok(handle.strip()) else None
    if user is None or user.disabled_at is not None or user.kind != "user":
        raise ValidationFailed(
            f"no person '{handle.strip()}' to own the postmortem",
            errors=[{"field": "owner", "message": "unknown person"}],
        )
    if pm.owner_user_id == user.id:
        return False
    pm.owner_user_id = user.id
    pm.updated_at = clock.now()
    history.note(
        session,
        pm,
        "owner",
        actor,
        f"{actor} made {user.handle} the postmortem's owner",
        owner=user.handle,
    )
    session.flush()
    reminding.arm_postmortem(session, pm)
    session.flush()
    return True


def set_root_cause(session: Session, pm: Postmortem, root_cause: str | None) -> None:
    """Seed 002's taxonomy; the KPIs count incidents by it."""
    writable(pm)
    if root_cause is not None and root_cause not in ROOT_CAUSES:
        raise ValidationFailed(
            f"unknown root cause '{root_cause}'; one of {', '.join(ROOT_CAUSES)}",
            errors=[{"field": "root_cause", "message": "unknown"}],
        )
    pm.root_cause = root_cause
    pm.updated_at = clock.now()
    session.flush()


def set_cause_change(
    session: Session, pm: Postmortem, incident: Incident, change_id: int | None
) -> None:
    """Link the change event that caused the incident: one of its service's changes."""
    writable(pm)
    if change_id is not None:
        found = session.scalar(
            select(ChangeEvent.id).where(
                ChangeEvent.id == change_id, ChangeEvent.service_id == incident.service_id
            )
        )
        if found is None:
            raise ValidationFailed(
                f"change {change_id} is no change of the incident's service",
                errors=[{"field": "cause_change", "message": "not a change of this service"}],
            )
    pm.cause_change_id = change_id
    pm.updated_at = clock.now()
    session.flush()


def versions(session: Session, pm: Postmortem) -> list[PostmortemVersion]:
    """Every saved text, newest first."""
    return list(
        session.scalars(
            select(PostmortemVersion)
            .where(PostmortemVersion.postmortem_id == pm.id)
            .order_by(PostmortemVersion.version.desc())
        )
    )


def version(session: Session, pm: Postmortem, number: int) -> PostmortemVersion | None:
    return session.scalar(
        select(PostmortemVersion).where(
            PostmortemVersion.postmortem_id == pm.id, PostmortemVersion.version == number
        )
    )
