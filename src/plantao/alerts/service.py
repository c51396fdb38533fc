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

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts.identity import group_key as compute_group_key
from plantao.alerts.models import Alert
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.service import IntegrationLike
from plantao.db import is_postgres
from plantao.incidents import service as incident_service
from plantao.incidents import severity_config
from plantao.incidents.lifecycle import OPEN_STATES, Action, Status
from plantao.incidents.models import Incident
from plantao.incidents.reactions import AttachedAlert
from plantao.incidents.severity import most_severe

CHUNK = 500


@dataclass
class IntakeResult:
    created: int = 0
    refreshed: int = 0
    updated: int = 0
    resolved: int = 0
    reopened: int = 0
    acknowledged: int = 0
    ignored: int = 0
    touched: dict[int, Incident] = field(default_factory=dict)

    @property
    def incidents(self) -> set[str]:
        """Human ids of the incidents touched; final only once the transaction committed."""
        return {incident.human_id for incident in self.touched.values()}

    def touch(self, incident: Incident) -> None:
        self.touched[incident.id] = incident

    @property
    def accepted(self) -> int:
        return (
            self.created
            + self.refreshed
            + self.updated
            + self.resolved
            + self.reopened
            + self.acknowledged
            + self.ignored
        )

    def outcomes(self) -> dict[str, int]:
        return {
            "created": self.created,
            "refreshed": self.refreshed,
            "updated": self.updated,
            "resolved": self.resolved,
            "reopened": self.reopened,
            "acknowledged": self.acknowledged,
            "ignored": self.ignored,
        }


@dataclass
class _Placed:
    event: AlertEvent
    service_id: int
    route_id: int | None
    group_key: str
    window: timedelta
    auto_resolve: bool
    severity: str


def _content_hash(event: AlertEvent, severity: str) -> str:
    blob = orjson.dumps(
        [event.summary, severity, event.labels, event.annotations, event.details],
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _actor(integration: IntegrationLike) -> str:
    return f"integration:{integration.slug}"


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
    for part in _chunks(identities):
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
    new: list[_Placed] = []
    for identity, event in latest.items():
        existing = open_rows.get(identity)
        if event.action == "firing":
            placed = _place(event, integration, table)
            if existing is None:
                new.append(placed)
            elif existing.content_hash == _content_hash(event, placed.severity):
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

    for part in _chunks(refresh_ids):
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
                    session, incident, Action.ACKNOWLEDGE, actor=_actor(integration)
                )
    if new:
        _attach_new(session, integration, new, now, result)
    return result


def _place(
    event: AlertEvent, integration: IntegrationLike, table: catalog_service.RoutingTable
) -> _Placed:
    route = table.route_for(event.labels)
    severity = (route.severity if route and route.severity else None) or severity_config.matrix_of(
        table
    ).classify(event.labels, event.sender_severity)
    if route and route.group_by:
        key = compute_group_key(event.labels, route.group_by)
    elif event.sender_group_key:
        key = f"sender:{event.sender_group_key}"
    else:
        key = f"alert:{integration.id}:{event.identity}"
    return _Placed(
        event=event,
        service_id=route.service_id if route else integration.service_id,
        route_id=route.id if route else None,
        group_key=key,
        window=route.group_window if route else catalog_service.DEFAULT_GROUP_WINDOW,
        auto_resolve=route.auto_resolve if route else True,
        severity=severity,
    )


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
            "content_hash": _content_hash(event, severity),
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
            session, incident, raised[incident.id], actor=_actor(integration)
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
    actor = _actor(integration)
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


def _attach_new(
    session: Session,
    integration: IntegrationLike,
    new: list[_Placed],
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
    actor = _actor(integration)
    reopenable = _recently_resolved(session, integration, new, now)
    by_key: dict[tuple[int, str], list[_Placed]] = defaultdict(list)
    for placed in new:
        by_key[(placed.service_id, placed.group_key)].append(placed)
    # Incidents store the first 1024 characters of the key: keys equal there are one group.
    groups: dict[tuple[int, str], list[_Placed]] = defaultdict(list)
    for (service_id, key), members in sorted(by_key.items()):
        groups[(service_id, key[:1024])].extend(members)
    _lock_groups(session, [f"{service_id}:{key}" for service_id, key in sorted(by_key)])
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
    _insert_or_reopen(
        session,
        integration,
        [(incident, groups[group]) for group, incident in attach],
        reopenable,
        now,
        result,
    )


def _lock_groups(session: Session, keys: Sequence[str]) -> None:
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


def _recently_resolved(
    session: Session, integration: IntegrationLike, new: list[_Placed], now: datetime
) -> dict[str, tuple[int, int]]:
    """Resolved rows that a re-fire should reopen (flapping), by identity → (alert, incident).

    PagerDuty semantics differ on purpose: a trigger after a resolve is a new alert.
    """
    candidates = [p for p in new if p.event.source != "pagerduty"]
    if not candidates:
        return {}
    widest = max(p.window for p in candidates)
    found: dict[str, tuple[int, int]] = {}
    for part in _chunks([p.event.identity for p in candidates]):
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


def _insert_or_reopen(
    session: Session,
    integration: IntegrationLike,
    attach: list[tuple[Incident, list[_Placed]]],
    reopenable: dict[str, tuple[int, int]],
    now: datetime,
    result: IntakeResult,
) -> None:
    """Insert new alert rows and revive flapping ones for every group of the call at once."""
    inserts: list[dict[str, Any]] = []
    reopen: list[dict[str, Any]] = []
    timeline: list[tuple[int, incident_service.TimelineItem]] = []
    attached: list[tuple[Incident, list[AttachedAlert]]] = []
    actor = _actor(integration)
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
                "content_hash": _content_hash(event, placed.severity),
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
