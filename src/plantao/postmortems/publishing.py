"""Publishing a postmortem, and reopening a published one.

Publishing needs every requested reviewer's approval of the current version; with no reviewer
requested a draft may be published directly (a small team reviews it in the room). A published
postmortem is read-only; reopening it makes it a draft again, and new versions continue from
the last one (nothing published is lost: every version is kept).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import Conflict
from plantao.postmortems import history, reminding
from plantao.postmortems.models import Postmortem
from plantao.postmortems.reviewing import reviews


def waiting_for(session: Session, pm: Postmortem) -> list[str]:
    """The reviewers whose approval of the current version is missing (handles)."""
    return [
        r.handle
        for r in reviews(session, pm)
        if not (r.row.decision == "approved" and r.row.decided_version == pm.version)
    ]


def publish(session: Session, pm: Postmortem, *, actor: str) -> None:
    if pm.status == "published":
        raise Conflict(f"postmortem {pm.id} is published already")
    missing = waiting_for(session, pm)
    if missing:
        raise Conflict(
            f"postmortem {pm.id} needs the approval of version {pm.version} by "
            f"{', '.join(missing)} before it is published"
        )
    now = clock.now()
    pm.status, pm.published_at, pm.published_by, pm.updated_at = "published", now, actor, now
    history.note(
        session,
        pm,
        "published",
        actor,
        f"{actor} published the postmortem (version {pm.version})",
        version=pm.version,
    )
    session.flush()
    reminding.arm_postmortem(session, pm)  # a published postmortem is reminded of nothing


def reopen(session: Session, pm: Postmortem, *, actor: str) -> None:
    if pm.status != "published":
        raise Conflict(f"postmortem {pm.id} is {pm.status.replace('_', ' ')}, not published")
    now = clock.now()
    pm.status, pm.published_at, pm.published_by, pm.updated_at = "draft", None, None, now
    history.note(
        session,
        pm,
        "reopened",
        actor,
        f"{actor} reopened the postmortem (version {pm.version})",
        version=pm.version,
    )
    session.flush()
    reminding.arm_postmortem(session, pm)
