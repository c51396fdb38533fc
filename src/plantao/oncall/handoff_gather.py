"""Reads the facts of a shift handoff from the database.

Which incidents belong to a schedule: those of the services whose escalation policy
(``oncall_service_policies`` → the policy body) names the schedule as a target, in any step or
the fallback — the services whose pages the schedule's people answer.

Corrective actions (``postmortems``) and team channels (``command`` stakeholders) live in
domains above ``oncall``; this module cannot import them, so the caller (the engine) passes an
:class:`Extras` that reads them. Without one, those parts stay empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from plantao.alerts.models import Alert
from plantao.catalog.models import Service
from plantao.changes.models import ChangeEvent
from plantao.incidents.models import Incident, TimelineEntry
from plantao.oncall.escalation_plan import PolicySnapshot, Target
from plantao.oncall.handoff_facts import (
    ActionLine,
    AlertLine,
    ChangeLine,
    HandoffFacts,
    IncidentLine,
    WindowLine,
)
from plantao.oncall.models import EscalationPolicy, OncallSchedule, Page, ServicePolicy, Silence

__all__ = ["AHEAD", "Channel", "Extras", "gather", "schedule_services"]

#: How far ahead windows and changes are listed (seed 003 §11.4: "next 24 h").
AHEAD = timedelta(hours=24)
_LIMIT = 50
_OPEN = ("triggered", "acknowledged", "mitigated")
_PRIVATE = "(private incident)"


@dataclass(frozen=True)
class Channel:
    """A team's chat channel or webhook the handoff is also posted to."""

    key: str
    name: str
    kind: str
    address: str
    language: str = "en"


class Extras(Protocol):
    """What the engine reads for a handoff from domains above ``oncall``."""

    def actions(
        self, session: Session, service_ids: Sequence[int], now: datetime
    ) -> list[ActionLine]: ...

    def channels(self, session: Session, team_ids: Sequence[int]) -> list[Channel]: ...

    def resolutions(self, session: Session, incident_ids: Sequence[int]) -> dict[int, str]:
        """How each incident was fixed, from its resolution update (seed 003 §4.3)."""
        ...


def _targets(body: dict[str, object]) -> set[str]:
    try:
        policy = PolicySnapshot.from_dict(body)
    except (KeyError, TypeError, ValueError):
        return set()
    targets: list[Target] = [t for step in policy.steps for t in step.targets]
    targets.extend(policy.fallback or ())
    return {t.ref for t in targets if t.kind == "schedule"}


def schedule_services(session: Session, schedule_slug: str) -> list[Service]:
    """The services whose escalation policy targets the schedule, by slug."""
    policy_ids = [
        policy.id
        for policy in session.scalars(select(EscalationPolicy))
        if schedule_slug in _targets(policy.body)
    ]
    if not policy_ids:
        return []
    return list(
        session.scalars(
            select(Service)
            .join(ServicePolicy, ServicePolicy.service_id == Service.id)
            .where(ServicePolicy.policy_id.in_(policy_ids))
            .order_by(Service.slug)
        )
    )


def _resolutions(session: Session, ids: list[int]) -> dict[int, str]:
    """How each incident ended: its last status update's words (the timeline keeps them)."""
    if not ids:
        return {}
    found: dict[int, str] = {}
    for entry in session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(ids), TimelineEntry.kind == "status_update")
        .order_by(TimelineEntry.at, TimelineEntry.id)
    ):
        found[entry.incident_id] = entry.message
    return found


def _lines(
    session: Session, rows: list[Incident], slugs: dict[int, str], extras: Extras | None
) -> list[IncidentLine]:
    ended = [r.id for r in rows if r.status.value not in _OPEN]
    resolutions = _resolutions(session, ended)
    if extras is not None and ended:
        resolutions.update(extras.resolutions(session, ended))
    return [
        IncidentLine(
            ref=row.human_id,
            title=_PRIVATE if row.private else row.title,
            severity=row.severity,
            status=row.status.value,
            service=slugs.get(row.service_id, ""),
            started_at=row.triggered_at,
            resolved_at=row.resolved_at,
            resolution="" if row.private else resolutions.get(row.id, "")[:500],
        )
        for row in rows
    ]


def _windows(session: Session, slugs: set[str], now: datetime) -> list[WindowLine]:
    rows = session.scalars(
        select(Silence)
        .where(
            Silence.ended_at.is_(None),
            or_(Silence.starts_at.is_(None), Silence.starts_at < now + AHEAD),
            or_(Silence.ends_at.is_(None), Silence.ends_at > now),
        )
        .order_by(Silence.starts_at, Silence.id)
    )
    return [
        WindowLine(row.name, row.starts_at, row.ends_at, tuple(row.services))
        for row in rows
        if not row.services or slugs & set(row.services)
    ][:_LIMIT]


def gather(
    session: Session,
    schedule: OncallSchedule,
    *,
    shift_start: datetime,
    handoff_at: datetime,
    outgoing: Sequence[str],
    incoming: Sequence[str],
    now: datetime,
    extras: Extras | None = None,
) -> HandoffFacts:
    """The facts of ``schedule``'s handoff at ``handoff_at`` as they stand at ``now``."""
    services = schedule_services(session, schedule.slug)
    slugs = {s.id: s.slug for s in services}
    ids = list(slugs)
    in_shift: list[Incident] = []
    still_open: list[Incident] = []
    alerts: list[Alert] = []
    changes: list[ChangeEvent] = []
    if ids:
        in_shift = list(
            session.scalars(
                select(Incident)
                .where(
                    Incident.service_id.in_(ids),
                    Incident.triggered_at >= shift_start,
                    Incident.triggered_at < max(handoff_at, now),
                )
                .order_by(Incident.triggered_at, Incident.id)
                .limit(_LIMIT)
            )
        )
        still_open = list(
            session.scalars(
                select(Incident)
                .where(Incident.service_id.in_(ids), Incident.status.in_(_OPEN))
                .order_by(Incident.triggered_at, Incident.id)
                .limit(_LIMIT)
            )
        )
        alerts = list(
            session.scalars(
                select(Alert)
                .where(
                    Alert.service_id.in_(ids),
                    Alert.status == "firing",
                    or_(
                        Alert.severity == "sev4",
                        ~exists(select(Page.id).where(Page.incident_id == Alert.incident_id)),
                    ),
                )
                .order_by(Alert.starts_at, Alert.id)
                .limit(_LIMIT)
            )
        )
        changes = list(
            session.scalars(
                select(ChangeEvent)
                .where(
                    and_(
                        ChangeEvent.service_id.in_(ids),
                        ChangeEvent.occurred_at >= now,
                        ChangeEvent.occurred_at < now + AHEAD,
                    )
                )
                .order_by(ChangeEvent.occurred_at, ChangeEvent.id)
                .limit(_LIMIT)
            )
        )
    return HandoffFacts(
        schedule=schedule.slug,
        schedule_name=schedule.name,
        time_zone=schedule.time_zone,
        shift_start=shift_start,
        handoff_at=handoff_at,
        outgoing=tuple(outgoing),
        incoming=tuple(incoming),
        gathered_at=now,
        incidents=tuple(_lines(session, in_shift, slugs, extras)),
        open_problems=tuple(_lines(session, still_open, slugs, extras)),
        alerts=tuple(
            AlertLine(a.summary[:300], a.severity, slugs.get(a.service_id, ""), a.starts_at)
            for a in alerts
        ),
        windows=tuple(_windows(session, set(slugs.values()), now)),
        changes=tuple(
            ChangeLine(c.summary[:300], slugs.get(c.service_id, ""), c.occurred_at) for c in changes
        ),
        actions=tuple(extras.actions(session, ids, now)[:_LIMIT] if extras else ()),
        services=tuple(sorted(slugs.values())),
    )


def team_ids(session: Session, schedule_slug: str) -> list[int]:
    """The teams owning the schedule's services (whose channels get the handoff)."""
    return sorted(
        {s.team_id for s in schedule_services(session, schedule_slug) if s.team_id is not None}
    )
