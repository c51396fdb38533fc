"""Postmortems as the API, the pages and the CLI show them: the incident they belong to, the
owner's handle, the reviews, whether the RCA window has passed, and the blameless lint's
warnings on the current text. Lists keep to what the reader may see (private incidents)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.incidents import visibility
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.postmortems import blameless, publishing, reviewing
from plantao.postmortems.editing import handle_ok
from plantao.postmortems.models import Postmortem, PostmortemVersion
from plantao.postmortems.schemas import (
    IncidentRef,
    LintOut,
    PostmortemOut,
    PostmortemSummary,
    ReviewOut,
    VersionOut,
    VersionSummary,
)

LIST_MAX = 500


def is_overdue(pm: Postmortem, now: datetime | None = None) -> bool:
    return pm.status != "published" and pm.due_at is not None and pm.due_at <= (now or clock.now())


#: The lint's patterns cost the square of a line's length (and of a run of characters with no
#: space), and every text is linted on every read: a pasted blob must not make a postmortem take
#: seconds to open. So each line is linted alone, up to ``LINT_LINE_MAX`` characters, runs of
#: 120 characters without a space (a URL, a hash, base64) are blanked to spaces of the same
#: length (lines and columns stay), at most ``LINT_LINES_MAX`` non-blank lines are read, and the
#: answer is kept per text and language.
LINT_LINE_MAX = 2_000
LINT_LINES_MAX = 5_000
_LONG_RUN = re.compile("[^ ]{120,}")


def lint(markdown: str, language: str) -> list[LintOut]:
    """The blameless lint's warnings on ``markdown``, messages in ``language``."""
    return list(_lint(markdown, language))


@lru_cache(maxsize=64)
def _lint(markdown: str, language: str) -> tuple[LintOut, ...]:
    found: list[LintOut] = []
    read = 0
    for number, line in enumerate(markdown.splitlines(), start=1):
        if not line.strip():
            continue
        read += 1
        if read > LINT_LINES_MAX:
            break
        readable = _LONG_RUN.sub(lambda m: " " * len(m.group()), line[:LINT_LINE_MAX])
        found.extend(
            LintOut(line=number, column=f.column, text=f.text, message=f.message)
            for f in blameless.lint(readable, language)
        )
    return tuple(found)


def summary(pm: Postmortem, incident: Incident, owner: str | None) -> PostmortemSummary:
    return PostmortemSummary(
        id=pm.id,
        status=pm.status,
        version=pm.version,
        required=pm.required,
        due_at=pm.due_at,
        overdue=is_overdue(pm),
        owner=owner,
        language=pm.language,
        root_cause=pm.root_cause,
        cause_change=pm.cause_change_id,
        incident=IncidentRef(
            id=incident.id,
            human_id=incident.human_id,
            title=incident.title,
            severity=incident.severity,
            status=incident.status.value,
            url=f"/incidents/{incident.human_id}",
        ),
        url=f"/postmortems/{pm.id}",
        created_by=pm.created_by,
        created_at=pm.created_at,
        updated_at=pm.updated_at,
        submitted_at=pm.submitted_at,
        published_at=pm.published_at,
        published_by=pm.published_by,
    )


def owner_handle(session: Session, pm: Postmortem) -> str | None:
    if pm.owner_user_id is None:
        return None
    user = session.get(User, pm.owner_user_id)
    return None if user is None else user.handle


def detail(session: Session, pm: Postmortem, incident: Incident) -> PostmortemOut:
    reviews = [
        ReviewOut(
            reviewer=r.handle,
            name=r.name,
            decision=r.row.decision,
            decided_at=r.row.decided_at,
            decided_version=r.row.decided_version,
            current=r.current,
            comment=r.row.comment,
            requested_by=r.row.requested_by,
            requested_at=r.row.requested_at,
        )
        for r in reviewing.reviews(session, pm)
    ]
    return PostmortemOut(
        **summary(pm, incident, owner_handle(session, pm)).model_dump(),
        markdown=pm.markdown,
        reviews=reviews,
        waiting_for=publishing.waiting_for(session, pm),
        lint=lint(pm.markdown, pm.language),
    )


def listing(
    session: Session,
    who: Principal,
    *,
    status: str | None = None,
    overdue: bool | None = None,
    owner: str | None = None,
) -> list[PostmortemSummary]:
    """Postmortems ``who`` may see: unpublished before published, soonest due first (none
    due: newest first)."""
    if owner is not None and not handle_ok(owner):
        return []
    stmt = (
        select(Postmortem, Incident, User.handle)
        .join(Incident, Incident.id == Postmortem.incident_id)
        .outerjoin(User, User.id == Postmortem.owner_user_id)
        .where(visibility.visible_clause(who.user_id, who.is_admin))
    )
    if status is not None:
        stmt = stmt.where(Postmortem.status == status)
    if owner is not None:
        stmt = stmt.where(User.handle == owner)
    now = clock.now()
    if overdue is True:
        stmt = stmt.where(
            Postmortem.status != "published",
            Postmortem.due_at.is_not(None),
            Postmortem.due_at <= now,
        )
    elif overdue is False:
        stmt = stmt.where(
            (Postmortem.status == "published")
            | Postmortem.due_at.is_(None)
            | (Postmortem.due_at > now)
        )
    stmt = stmt.order_by(
        Postmortem.status == "published",
        Postmortem.due_at.is_(None),
        Postmortem.due_at,
        Postmortem.id.desc(),
    ).limit(LIST_MAX)
    return [summary(pm, inc, handle) for pm, inc, handle in session.execute(stmt).all()]


def version_summary(row: PostmortemVersion) -> VersionSummary:
    return VersionSummary(
        version=row.version, author=row.author, at=row.at, note=row.note, chars=len(row.markdown)
    )


def version_out(row: PostmortemVersion) -> VersionOut:
    return VersionOut(**version_summary(row).model_dump(), markdown=row.markdown)


def version_summaries(rows: Sequence[PostmortemVersion]) -> list[VersionSummary]:
    return [version_summary(r) for r in rows]
