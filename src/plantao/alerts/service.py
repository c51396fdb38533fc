"""Alert intake: dedup, routing, grouping into incidents, auto-resolve.

One call handles one sender request, or many at once, inside the caller's transaction, with
set-based statements: re-sent snapshots (the common case with Alertmanager) cost one SELECT and
one UPDATE whatever the batch size, and new alerts cost a fixed dozen statements per call however
many incidents they open. New alerts are grouped under per-group locks (all taken in one
statement, in key order) so that concurrent deliveries of the same group open one incident; the
partial unique index on open identities is the backstop for concurrent deliveries of the same
alert (the caller retries on IntegrityError).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import grouping
from plantao.alerts.models import Alert
from plantao.alerts.placement import IntakeResult, Placed, actor_of, chunks, content_hash, place
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.service import IntegrationLike
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import OPEN_STATES, Action, Status
from plantao.incidents.severity import most_severe


def ingest(
    session: Session, integration: IntegrationLike, events: Sequence[AlertEvent]
) -> IntakeResult:
    """Apply a batch of events from one request. The caller commits (and retries conflicts)."""
    now = clock.now()
    result = IntakeResult()
    latest: dict[str, AlertEvent] = {}
    for event in events:  # a batch that repeats an identity: the last word wins
        latest[event.identity] = event
    if not latest:
        return result
    table = catalog_service.routing_table(session)

    open_rows: dict[str, Any] = {}
    identities = list(latest)
    for part in chunks(identities):
        rows = session.execute(
            select(
                Alert.id, Alert.identity, Alert.incident_id, Alert.content_hash, Alert.severity
            ).where(
                Alert.integration_id == integration.id,
                Alert.status == "firing",
                Alert.identity.in_(part),
            )
        )
        for row in rows:
            open_rows[row.identity] = row

    refresh_ids: list[int] = []
    changed: list[tuple[Any, AlertEvent, str]] = []
    to_resolve: list[tuple[Any, AlertEvent]] = []
    to_ack: set[int] = set()
    new: list[Placed] = []
    for identity, event in latest.items():
        existing = open_rows.get(identity)
        if event.action == "firing":
            placed = place(event, integration, table)
            if existing is None:
                new.append(placed)
            elif existing.content_hash == content_hash(event, placed.severity):
                refresh_ids.append(existing.id)
            else:
                changed.append((existing, event, placed.severity))
        elif existing is None:
            result.ignored += 1
        elif event.action == "resolved":
            to_resolve.append((existing, event))
        else:
            to_ack.add(existing.incident_id)
            result.acknowledged += 1

    for part in chunks(refresh_ids):
        session.execute(
            update(Alert)
            .where(Alert.id.in_(part))
            .values(last_seen_at=now, repeat_count=Alert.repeat_count + 1)
        )
    result.refreshed = len(refresh_ids)
    if changed:
        _apply_changes(session, integration, changed, now, result)
    if to_resolve:
        _resolve(session, integration, to_resolve, now, result)
    if to_ack:
        for incident in incident_service.get_many(session, sorted(to_ack), for_update=True):
            result.touch(incident)
            if incident.status == Status.TRIGGERED.value:
                incident_service.act(
                    session, incident, Action.ACKNOWLEDGE, actor=actor_of(integration)
                )
    if new:
        grouping.attach_new(session, integration, new, now, result)
    return result


def _apply_changes(
    session: Session,
    integration: IntegrationLike,
    changed: list[tuple[Any, AlertEvent, str]],
    now: datetime,
    result: IntakeResult,
) -> None:
    params = [
        {
            "id": row.id,
            "summary": event.summary[:1024],
            "labels": event.labels,
            "annotations": event.annotations,
            "details": event.details,
            "severity": severity,
            "content_hash": content_hash(event, severity),
            "last_seen_at": now,
        }
        for row, event, severity in changed
    ]
    session.execute(update(Alert), params)
    session.execute(
        update(Alert)
        .where(Alert.id.in_([row.id for row, _, _ in changed]))
        .values(repeat_count=Alert.repeat_count + 1)
    )
    result.updated = len(changed)
    raised: dict[int, str] = {}
    for row, _, severity in changed:
        if severity != row.severity:
            raised[row.incident_id] = most_severe([severity, raised.get(row.incident_id, severity)])
    for incident in incident_service.get_many(session, sorted(raised), for_update=True):
        incident_service.raise_severity_to(
            session, incident, raised[incident.id], actor=actor_of(integration)
        )


def _resolve(
    session: Session,
    integration: IntegrationLike,
    to_resolve: list[tuple[Any, AlertEvent]],
    now: datetime,
    result: IntakeResult,
) -> None:
    session.execute(
        update(Alert),
        [
            {
                "id": row.id,
                "status": "resolved",
                "resolved_at": now,
                "ends_at": event.ends_at or now,
                "last_seen_at": now,
            }
            for row, event in to_resolve
        ],
    )
    result.resolved = len(to_resolve)
    by_incident: dict[int, list[str]] = defaultdict(list)
    for row, _ in to_resolve:
        by_incident[row.incident_id].append(row.identity)
    incidents = incident_service.get_many(session, sorted(by_incident), for_update=True)
    still_firing: dict[int, int] = {
        int(incident_id): int(n)
        for incident_id, n in session.execute(
            select(Alert.incident_id, func.count())
            .where(Alert.incident_id.in_(list(by_incident)), Alert.status == "firing")
            .group_by(Alert.incident_id)
        ).tuples()
    }
    actor = actor_of(integration)
    for incident in incidents:
        result.touch(incident)
        identities = by_incident[incident.id]
        incident_service.append(
            session,
            incident.id,
            [
                incident_service.TimelineItem(
                    "alert.resolved", actor, "Alert resolved", {"identity": identity}
                )
                for identity in identities
            ],
            at=now,
        )
        if (
            still_firing.get(incident.id, 0) == 0
            and incident.auto_resolve
            and incident.status in OPEN_STATES
        ):
            incident_service.act(
                session, incident, Action.RESOLVE, actor=actor, reason="all alerts resolved"
            )


def alerts_for_incident(session: Session, incident_id: int) -> list[Alert]:
    return list(
        session.scalars(select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id))
    )


def first_alerts(session: Session, incident_id: int, limit: int = 20) -> list[Alert]:
    """The incident's earliest alerts: enough to describe it without loading a whole storm."""
    return list(
        session.scalars(
            select(Alert).where(Alert.incident_id == incident_id).order_by(Alert.id).limit(limit)
        )
    )


def counts_for_incidents(session: Session, incident_ids: Sequence[int]) -> dict[int, int]:
    if not incident_ids:
        return {}
    rows = session.execute(
        select(Alert.incident_id, func.count())
        .where(Alert.incident_id.in_(list(incident_ids)))
        .group_by(Alert.incident_id)
    )
    return {int(i): int(n) for i, n in rows.tuples()}
