"""Review of a postmortem: the author asks reviewers, each approves or requests changes.

Draft → in review needs at least one reviewer, and the author cannot review their own text (the
owner, and whoever submits it, are its authors). An approval is given on one version: a later
save sets it back to pending (:func:`plantao.postmortems.editing.save`). Only the people asked
decide; a private incident's postmortem can only be given to reviewers who may see the incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import Conflict, PermissionDenied, ValidationFailed
from plantao.incidents import visibility
from plantao.incidents.models import Incident
from plantao.people import directory
from plantao.people.models import User
from plantao.postmortems import history
from plantao.postmortems.editing import handle_ok, storable, writable
from plantao.postmortems.models import Postmortem, PostmortemReview

DECISIONS = ("approve", "request_changes")
COMMENT_MAX = 10_000
REVIEWERS_MAX = 20


@dataclass(frozen=True)
class Review:
    """A review as shown: the reviewer's handle and name, and whether their decision is about
    the current version."""

    row: PostmortemReview
    handle: str
    name: str
    current: bool


def reviews(session: Session, pm: Postmortem) -> list[Review]:
    rows = session.execute(
        select(PostmortemReview, User)
        .join(User, User.id == PostmortemReview.reviewer_user_id)
        .where(PostmortemReview.postmortem_id == pm.id)
        .order_by(PostmortemReview.requested_at, PostmortemReview.id)
    ).all()
    return [
        Review(r, u.handle, u.name, r.decided_version == pm.version and r.decision != "pending")
        for r, u in rows
    ]


def _reviewer(
    session: Session, handle: str, pm: Postmortem, incident: Incident, submitter: int
) -> User:
    user = directory.by_handle(session, handle.strip()) if handle_ok(handle.strip()) else None
    if user is None or user.disabled_at is not None or user.kind != "user":
        raise ValidationFailed(
            f"no person '{handle.strip()}' to review the postmortem",
            errors=[{"field": "reviewers", "message": f"unknown person '{handle.strip()}'"}],
        )
    if user.id in (submitter, pm.owner_user_id):
        raise ValidationFailed(
            f"{user.handle} wrote this postmortem and cannot review it",
            errors=[{"field": "reviewers", "message": f"{user.handle} is an author"}],
        )
    if not visibility.can_see(session, incident, user.id, user.global_role == "admin"):
        raise ValidationFailed(
            f"{user.handle} may not see this private incident; add them as a responder first",
            errors=[{"field": "reviewers", "message": f"{user.handle} may not see it"}],
        )
    return user


def submit(
    session: Session,
    pm: Postmortem,
    incident: Incident,
    handles: Sequence[str],
    *,
    actor: str,
    actor_user_id: int,
) -> list[User]:
    """Ask ``handles`` to review (draft → in review; in review: ask more people). Someone asked
    again is asked afresh (their earlier decision becomes pending)."""
    writable(pm)
    wanted = list(dict.fromkeys(h.strip() for h in handles if h.strip()))
    if not wanted:
        raise ValidationFailed(
            "name at least one reviewer",
            errors=[{"field": "reviewers", "message": "at least one"}],
        )
    if len(wanted) > REVIEWERS_MAX:
        raise ValidationFailed(f"at most {REVIEWERS_MAX} reviewers")
    people = [_reviewer(session, h, pm, incident, actor_user_id) for h in wanted]
    now = clock.now()
    existing = {
        r.reviewer_user_id: r
        for r in session.scalars(
            select(PostmortemReview).where(PostmortemReview.postmortem_id == pm.id)
        )
    }
    for user in people:
        row = existing.get(user.id)
        if row is None:
            session.add(
                PostmortemReview(
                    postmortem_id=pm.id,
                    reviewer_user_id=user.id,
                    requested_by=actor,
                    requested_at=now,
                    decision="pending",
                )
            )
        else:
            row.requested_by, row.requested_at = actor, now
            row.decision, row.decided_at, row.comment = "pending", None, None
    pm.status, pm.submitted_at, pm.updated_at = "in_review", now, now
    names = ", ".join(u.handle for u in people)
    history.note(
        session,
        pm,
        "submitted",
        actor,
        f"{actor} asked {names} to review the postmortem (version {pm.version})",
        reviewers=[u.handle for u in people],
        version=pm.version,
    )
    session.flush()
    return people


def decide(
    session: Session,
    pm: Postmortem,
    *,
    reviewer_user_id: int,
    actor: str,
    decision: str,
    comment: str | None,
) -> PostmortemReview:
    """A reviewer's answer on the current version; request_changes needs a comment."""
    if pm.status != "in_review":
        raise Conflict(f"postmortem {pm.id} is {pm.status.replace('_', ' ')}, not in review")
    row = session.scalar(
        select(PostmortemReview).where(
            PostmortemReview.postmortem_id == pm.id,
            PostmortemReview.reviewer_user_id == reviewer_user_id,
        )
    )
    if row is None:
        raise PermissionDenied("you were not asked to review this postmortem")
    if decision not in DECISIONS:
        raise ValidationFailed(f"decision must be one of {', '.join(DECISIONS)}")
    text = (comment or "").strip()
    if decision == "request_changes" and not text:
        raise ValidationFailed(
            "say which changes you request",
            errors=[{"field": "comment", "message": "required to request changes"}],
        )
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(f"the comment is longer than {COMMENT_MAX} characters")
    storable(text, "comment")
    now = clock.now()
    row.decision = "approved" if decision == "approve" else "changes_requested"
    row.decided_at, row.decided_version, row.comment = now, pm.version, text or None
    pm.updated_at = now
    if decision == "approve":
        message = f"{actor} approved the postmortem (version {pm.version})"
        history.note(session, pm, "approved", actor, message, version=pm.version)
    else:
        message = f"{actor} requested changes to the postmortem (version {pm.version})"
        history.note(session, pm, "changes_requested", actor, message, version=pm.version)
    session.flush()
    return row
