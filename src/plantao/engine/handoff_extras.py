"""What a shift handoff needs from domains above ``oncall``: corrective actions due soon
(``postmortems``) and the team channels to post it to (``command`` stakeholders).

``oncall`` may not import those domains (imports go one way), so the engine, which may import
anything, reads them and hands them to the handoff use cases through the ``Extras`` protocol.

Team channel: a stakeholder of scope ``team`` whose kind is a chat channel or a generic webhook
(``slack``, ``teams``, ``mattermost``, ``webhook``), for a team owning one of the schedule's
services. E-mail lists and person stakeholders are for incident updates, not shift notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.command.models import Stakeholder, StatusUpdate
from plantao.oncall.handoff_facts import ActionLine
from plantao.oncall.handoff_gather import Channel
from plantao.people.models import Team, User
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.action_rules import OPEN
from plantao.postmortems.models import CorrectiveAction

#: Actions due within this many days (or overdue) are listed.
DUE_WITHIN = timedelta(days=7)
CHANNEL_KINDS = ("slack", "teams", "mattermost", "webhook")


class HandoffExtras:
    """The engine's reader of actions and team channels for handoffs."""

    def actions(
        self, session: Session, service_ids: Sequence[int], now: datetime
    ) -> list[ActionLine]:
        if not service_ids:
            return []
        rows = session.execute(
            select(CorrectiveAction, User.handle)
            .outerjoin(User, User.id == CorrectiveAction.owner_user_id)
            .where(
                CorrectiveAction.service_id.in_(list(service_ids)),
                CorrectiveAction.status.in_(OPEN),
                CorrectiveAction.due_date <= (now + DUE_WITHIN).date(),
            )
            .order_by(CorrectiveAction.due_date, CorrectiveAction.id)
            .limit(50)
        ).tuples()
        return [
            ActionLine(format_action_id(action.id), action.title[:300], action.due_date, owner)
            for action, owner in rows
        ]

    def resolutions(self, session: Session, incident_ids: Sequence[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for row in session.scalars(
            select(StatusUpdate)
            .where(
                StatusUpdate.incident_id.in_(list(incident_ids)), StatusUpdate.kind == "resolution"
            )
            .order_by(StatusUpdate.posted_at, StatusUpdate.id)
        ):
            fix = (row.resolution or {}).get("fix")
            if fix:
                found[row.incident_id] = str(fix)[:500]
        return found

    def channels(self, session: Session, team_ids: Sequence[int]) -> list[Channel]:
        if not team_ids:
            return []
        slugs = list(session.scalars(select(Team.slug).where(Team.id.in_(list(team_ids)))))
        rows = session.scalars(
            select(Stakeholder)
            .where(
                Stakeholder.scope == "team",
                Stakeholder.scope_slug.in_(slugs),
                Stakeholder.kind.in_(CHANNEL_KINDS),
                Stakeholder.address.is_not(None),
            )
            .order_by(Stakeholder.id)
        )
        return [
            Channel(f"stakeholder:{row.id}", row.name, row.kind, row.address or "", row.language)
            for row in rows
        ]
