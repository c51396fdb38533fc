"""Grouping new alerts into incidents: per-group locks, the open incident of each group (or a
new one), flapping alerts revived in place, alert rows and timeline entries written set-based.

Concurrent deliveries of the same group open one incident because every group's advisory lock
is taken (in key order, one statement) before the incidents are looked up; the partial unique
index on open identities is the backstop for concurrent deliveries of the same alert.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from plantao.alerts.models import Alert
from plantao.alerts.placement import IntakeResult, Placed, actor_of, chunks, content_hash
from plantao.catalog.service import IntegrationLike
from plantao.db import is_postgres
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action, Status
from plantao.incidents.models import Incident
from plantao.incidents.reactions import AttachedAlert
from plantao.incidents.severity import most_severe


def attach_new(
    session: Session,
    integration: IntegrationLike,
    new: list[Placed],
    now: datetime,
    result: IntakeResult,
) -> None:
    """Group new alerts and attach each group to its incident, opening the missing ones.

    Set-based across groups, because the engine applies many requests' events in one call:
    every group lock is taken in one statement (in sorted order, as before), every candidate
    incident is found and locked in one query, missing incidents are opened with one INSERT
    (with one policy lookup and one INSERT each for escalations and timers), and alerts,
    timeline entries and runbook-link jobs are written with one statement each for the call.
    """
    actor = actor_of(integration)
    reopenable = recently_resolved(session, integration, new, now)
    by_key: dict[tuple[int, str], list[Placed]] = defaultdict(list)
    for placed in new:
        by_key[(placed.service_id, placed.group_key)].append(placed)
    # Incidents store the first 1024 characters of the key: keys equal there are one group.
    groups: dict[tuple[int, str], list[Placed]] = defaultdict(list)
    for (service_id, key), members in sorted(by_key.items()):
        groups[(service_id, key[:1024])].extend(members)
    lock_groups(session, [f"{service_id}:{key}" for service_id, key in sorted(by_key)])
    existing = incident_service.find_groupable_many(session, list(groups))

    attach: list[tuple[tuple[int, str], Incident]] = []
    to_open: list[tuple[tuple[int, str], incident_service.NewIncident]] = []
    for group, members in groups.items():
        service_id, key = group
        incident = existing.get(group)
        first = members[0]
        window = first.window
        detected = min((m.event.starts_at or now) for m in members)
        severity = most_severe(m.severity for m in members)
        if incident is not None:
            status = Status(incident.status)
            if status is Status.RESOLVED:
                assert incident.resolved_at is not None
                if now - incident.resolved_at <= window:
                    incident_service.act(
                        session,
                        incident,
                        Action.REOPEN,
                        actor=actor,
                        reason="alert fired again within the grouping window",
                    )
                else:
                    incident = None
            elif now - incident.last_alert_at > window:
                incident = None
        if incident is None:
            title = first.event.summary or first.event.labels.get("alertname", "alert")
            to_open.append(
                (
                    group,
                    incident_service.NewIncident(
                        title=title,
                        severity_name=severity,
                        service_id=service_id,
                        route_id=first.route_id,
                        group_key=key,
                        group_window_seconds=int(window.total_seconds()),
                        auto_resolve=first.auto_resolve,
                        detected_at=detected,
                    ),
                )
            )
        else:
            incident_service.raise_severity_to(session, incident, severity, actor=actor)
            incident_service.touch_alert_activity(session, incident, detected, flush=False)
            attach.append((group, incident))
    opened = incident_service.open_incidents(session, [spec for _, spec in to_open], actor=actor)
    attach.extend(zip((group for group, _ in to_open), opened, strict=True))
    attach.sort(key=lambda pair: pair[1].id)
    for _, incident in attach:
        result.touch(incident)
    insert_or_reopen(
        session,
        integration,
        [(incident, groups[group]) for group, incident in attach],
        reopenable,
        now,
        result,
    )


def lock_groups(session: Session, keys: Sequence[str]) -> None:
    """The transaction-scoped advisory lock of every group key (:func:`group_lock_value`), in
    the order given, in one statement: one round trip instead of one per group. Nothing on
    SQLite, where every write transaction is already serialised."""
    if not keys or not is_postgres(session):
        return
    values = [group_lock_value(key) for key in keys]
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(k)) "
            "FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS t(k, n)"
        ),
        {"keys": values},
    )


def group_lock_value(key: str) -> int:
    """The advisory-lock value of one group key: the only place a group's lock is named."""
    digest = hashlib.blake2b(f"group:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def recently_resolved(
    session: Session, integration: IntegrationLike, new: list[Placed], now: datetime
) -> dict[str, tuple[int, int]]:
    """Resolved rows that a re-fire should reopen (flapping), by identity → (alert, incident).

    PagerDuty semantics differ on purpose: a trigger after a resolve is a new alert.
    """
    candidates = [p for p in new if p.event.source != "pagerduty"]
    if not candidates:
        return {}
    widest = max(p.window for p in candidates)
    found: dict[str, tuple[int, int]] = {}
    for part in chunks([p.event.identity for p in candidates]):
        rows = session.execute(
            select(Alert.id, Alert.identity, Alert.incident_id, Alert.resolved_at)
            .where(
                Alert.integration_id == integration.id,
                Alert.status == "resolved",
                Alert.identity.in_(part),
                Alert.resolved_at >= now - widest,
            )
            .order_by(Alert.resolved_at)
        )
        for row in rows:
            found[row.identity] = (row.id, row.incident_id)
    return found


def insert_or_reopen(
    session: Session,
    integration: IntegrationLike,
    attach: list[tuple[Incident, list[Placed]]],
    reopenable: dict[str, tuple[int, int]],
    now: datetime,
    result: IntakeResult,
) -> None:
    """Insert new alert rows and revive flapping ones for every group of the call at once."""
    inserts: list[dict[str, Any]] = []
    reopen: list[dict[str, Any]] = []
    timeline: list[tuple[int, incident_service.TimelineItem]] = []
    attached: list[tuple[Incident, list[AttachedAlert]]] = []
    actor = actor_of(integration)
    for incident, members in attach:
        for placed in members:
            event = placed.event
            previous = reopenable.get(event.identity)
            values: dict[str, Any] = {
                "summary": event.summary[:1024],
                "severity": placed.severity,
                "labels": event.labels,
                "annotations": event.annotations,
                "details": event.details,
                "content_hash": content_hash(event, placed.severity),
                "last_seen_at": now,
                "status": "firing",
                "resolved_at": None,
                "ends_at": None,
            }
            if previous is not None and previous[1] == incident.id:
                reopen.append({"id": previous[0], **values})
                timeline.append(
                    (
                        incident.id,
                        incident_service.TimelineItem(
                            "alert.refired",
                            actor,
                            f"Alert fired again: {event.summary[:200]}",
                            {"identity": event.identity, "severity": placed.severity},
                        ),
                    )
                )
                continue
            inserts.append(
                {
                    **values,
                    "integration_id": integration.id,
                    "service_id": placed.service_id,
                    "incident_id": incident.id,
                    "identity": event.identity,
                    "source": event.source,
                    "starts_at": event.starts_at or now,
                    "first_seen_at": now,
                    "repeat_count": 0,
                    "flap_count": 0,
                }
            )
            timeline.append(
                (
                    incident.id,
                    incident_service.TimelineItem(
                        "alert.attached",
                        actor,
                        f"Alert attached: {event.summary[:200]}",
                        {
                            "identity": event.identity,
                            "severity": placed.severity,
                            "labels": event.labels,
                        },
                    ),
                )
            )
        attached.append(
            (
                incident,
                [
                    AttachedAlert(
                        identity=p.event.identity,
                        summary=p.event.summary,
                        severity=p.severity,
                        labels=p.event.labels,
                        annotations=p.event.annotations,
                    )
                    for p in members
                ],
            )
        )
    if inserts:
        session.execute(insert(Alert), inserts)
        result.created += len(inserts)
    if reopen:
        session.execute(update(Alert), reopen)
        session.execute(
            update(Alert)
            .where(Alert.id.in_([r["id"] for r in reopen]))
            .values(flap_count=Alert.flap_count + 1)
        )
        result.reopened += len(reopen)
    incident_service.append_many(session, timeline, at=now)
    incident_service.alerts_attached_many(session, attached)
