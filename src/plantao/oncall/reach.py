"""Page the targets of one firing: schedules resolved to who is on call now, each person paged
once through :mod:`plantao.oncall.paging`, and why nobody was reached when nobody was.

Shared by the normal escalation (``oncall.escalations``) and the escalation of an
acknowledged incident that stays unresolved (``oncall.unresolved``), so both page the same
way: one ``oncall_pages`` row per (incident, firing, person) and outbox rows in the caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.errors import NotFound
from plantao.incidents.models import Incident
from plantao.oncall import escalation_plan, paging, schedules
from plantao.oncall.escalation_plan import Target
from plantao.people.models import User


@dataclass(frozen=True)
class Reached:
    """Who was paged (handles, in target order) and, when nobody was, why not."""

    users: tuple[str, ...]
    why_nobody: tuple[str, ...]


def _on_call(session: Session, slug: str, at: datetime) -> list[str]:
    try:
        return schedules.who_is_on_call(session, slug, at)
    except NotFound:
        return []


def page_targets(
    session: Session,
    incident: Incident,
    targets: Sequence[Target],
    *,
    firing: int,
    label: str,
    reason: str,
    at: datetime,
) -> Reached:
    """Page everyone ``targets`` resolve to at ``at`` for firing number ``firing``."""
    resolution = escalation_plan.resolve_targets(
        targets, lambda slug, when: _on_call(session, slug, when), at
    )
    handles = list(resolution.users)
    users = {
        u.handle: u for u in session.scalars(select(User).where(User.handle.in_(handles or [""])))
    }
    reached = [h for h in handles if h in users]
    urgency = escalation_plan.urgency_for(incident.severity).value
    for handle in reached:
        paging.page(
            session,
            incident_id=incident.id,
            user_id=users[handle].id,
            urgency=urgency,
            reason=reason,
            firing=firing,
            label=label,
        )
    why: list[str] = []
    if not reached:
        why = [f"schedule '{s}' has nobody on call" for s in resolution.empty_schedules]
        why += [f"unknown user '{h}'" for h in handles if h not in users]
        why = why or ["no targets"]
    return Reached(tuple(reached), tuple(why))
