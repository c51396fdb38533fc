"""Reading what the draft shows about one incident, in a fixed number of queries.

An incident of an alert storm holds thousands of timeline entries and alerts: the draft reads
the entries' columns in one query (no ORM objects), the alerts as one aggregate per service,
and everything else (status updates, roles, services, changes, runbooks, runs) in one query
each — eight queries whatever the incident's size (the severity matrix comes from the
routing table's cached snapshot).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.alerts.models import Alert
from plantao.catalog.models import Service
from plantao.changes.models import ChangeEvent
from plantao.command import role_holders
from plantao.command.models import StatusUpdate
from plantao.incidents import severity_config
from plantao.incidents.models import Incident, TimelineEntry
from plantao.postmortems.draft_facts import (
    ChangeFact,
    DraftFacts,
    EntryFact,
    RoleFact,
    RunbookFact,
    RunFact,
    SeverityChange,
)
from plantao.runbooks.models import RunbookLink, RunbookRun

__all__ = ["CHANGE_WINDOW", "gather"]

#: Changes this long before detection are shown as suspects.
CHANGE_WINDOW = timedelta(hours=1)
#: Keys of a change event's details that name who made the change.
_WHO_KEYS = ("author", "user", "actor", "triggered_by", "committer", "deployer", "by")


def gather(session: Session, incident: Incident, language: str) -> DraftFacts:
    """The facts of ``incident`` for a draft in ``language`` (severity titles are worded)."""
    entries = _entries(session, incident.id)
    alert_rows = session.execute(
        select(Alert.service_id, func.count(), func.min(Alert.starts_at))
        .where(Alert.incident_id == incident.id)
        .group_by(Alert.service_id)
    ).all()
    service_ids = {incident.service_id} | {row[0] for row in alert_rows}
    names: dict[int, str] = dict(
        session.execute(select(Service.id, Service.name).where(Service.id.in_(service_ids)))
        .tuples()
        .all()
    )
    starts = [row[2] for row in alert_rows if row[2] is not None]
    level = _level(session, incident.severity)
    latest = session.scalars(
        select(StatusUpdate)
        .where(StatusUpdate.incident_id == incident.id)
        .order_by(StatusUpdate.posted_at.desc(), StatusUpdate.id.desc())
    ).all()
    resolution = next((u.resolution for u in latest if u.resolution), None) or {}
    holders = role_holders.holders(session, [incident.id])[incident.id]
    declared = any(entry.kind == "incident.declared" for entry in entries[:5])
    return DraftFacts(
        human_id=incident.human_id,
        title=incident.title,
        severity=incident.severity,
        severity_title=(
            "" if level is None else (level.title_pt if language == "pt-BR" else level.title_en)
        ),
        status=incident.status.value,
        category=incident.category,
        service=", ".join(
            names.get(i, str(i))
            for i in sorted(service_ids, key=lambda i: i != incident.service_id)
        ),
        description=incident.description,
        detected_at=incident.detected_at,
        triggered_at=incident.triggered_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        first_alert_at=min(starts) if starts else None,
        alert_count=sum(int(row[1]) for row in alert_rows),
        declared_by_hand=declared,
        ack_target=None if level is None else level.mtta,
        restore_target=None if level is None else level.mttr,
        entries=tuple(entries),
        severity_changes=tuple(
            SeverityChange(e.at, str(e.data.get("from")), str(e.data.get("to")), e.actor)
            for e in entries
            if e.kind == "incident.severity"
        ),
        roles=tuple(RoleFact(h.role, h.handle, h.name) for h in holders),
        changes=_changes(session, incident, names),
        runbooks=_runbooks(session, incident.id),
        runs=_runs(session, incident.id),
        root_cause=_text(resolution.get("root_cause")),
        fix=_text(resolution.get("fix")),
        monitoring=_text(resolution.get("monitoring")),
        impact=latest[0].impact if latest else None,
        updates_posted=len(latest),
    )


def _entries(session: Session, incident_id: int) -> list[EntryFact]:
    """The timeline, oldest first, as plain tuples (ORM objects would cost twice as much)."""
    rows = session.execute(
        select(
            TimelineEntry.at,
            TimelineEntry.kind,
            TimelineEntry.actor,
            TimelineEntry.message,
            TimelineEntry.data,
        )
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.at, TimelineEntry.id)
    ).tuples()
    return [
        EntryFact(at, kind, actor, message, data or {}) for at, kind, actor, message, data in rows
    ]


def _level(session: Session, name: str) -> Any:
    try:
        return severity_config.severity_matrix(session).level(name)
    except ValueError:
        return None


def _changes(session: Session, incident: Incident, names: dict[int, str]) -> tuple[ChangeFact, ...]:
    rows = session.scalars(
        select(ChangeEvent)
        .where(
            ChangeEvent.service_id.in_(list(names)),
            ChangeEvent.occurred_at >= incident.detected_at - CHANGE_WINDOW,
            ChangeEvent.occurred_at <= incident.detected_at,
        )
        .order_by(ChangeEvent.occurred_at, ChangeEvent.id)
        .limit(50)
    )
    return tuple(
        ChangeFact(
            at=row.occurred_at,
            summary=row.summary,
            source=row.source,
            who=_who(row.details),
            service=names.get(row.service_id, str(row.service_id)),
        )
        for row in rows
    )


def _who(details: dict[str, Any] | None) -> str | None:
    for key in _WHO_KEYS:
        value = (details or {}).get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return None


def _runbooks(session: Session, incident_id: int) -> tuple[RunbookFact, ...]:
    rows = session.scalars(
        select(RunbookLink)
        .where(RunbookLink.incident_id == incident_id)
        .order_by(RunbookLink.confirmed_at.is_(None), RunbookLink.id)
    )
    return tuple(
        RunbookFact(r.title, r.ref, r.url, r.source, r.confirmed_by, r.confirmed_at) for r in rows
    )


def _runs(session: Session, incident_id: int) -> tuple[RunFact, ...]:
    rows = session.execute(
        select(
            RunbookRun.runbook_id,
            RunbookRun.action_id,
            RunbookRun.status,
            RunbookRun.requested_by,
            RunbookRun.requested_at,
            RunbookRun.finished_at,
        )
        .where(RunbookRun.incident_id == incident_id)
        .order_by(RunbookRun.requested_at, RunbookRun.id)
    ).tuples()
    return tuple(RunFact(*row) for row in rows)


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
