"""The edge between escalation and delivery: record each page, hand it to ``notify.paging``.

``notify.paging.page_user`` writes outbox rows in the caller's transaction, so a page and the
escalation step that decided it commit together. Pages made stale by an acknowledgement are
cancelled by the engine's reaction step (``notify.delivery.cancel_stale_pages``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.notify import paging as notify_paging
from plantao.oncall.models import Page


def page(
    session: Session,
    *,
    incident_id: int,
    user_id: int,
    urgency: str,
    reason: str,
    firing: int,
    label: str,
) -> None:
    """Page one person for one firing; a repeat of the same (incident, firing, user) is a no-op."""
    exists = session.scalar(
        select(Page.id).where(
            Page.incident_id == incident_id, Page.firing == firing, Page.user_id == user_id
        )
    )
    if exists is not None:
        return
    session.add(
        Page(
            incident_id=incident_id,
            firing=firing,
            label=label[:64],
            user_id=user_id,
            urgency=urgency,
            paged_at=clock.now(),
        )
    )
    session.flush()
    notify_paging.page_user(
        session,
        incident_id=incident_id,
        user_id=user_id,
        urgency=urgency,
        reason=reason,
        step=firing,
    )
