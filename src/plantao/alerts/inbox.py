"""The intake inbox: accept requests durably at once, apply them to alerts and incidents later.

Why: a sender's request used to run the whole intake (dedup, grouping, incident opening,
escalation, runbook linking: ~17 statements for a new incident) before its 2xx. Alertmanager
and PagerDuty senders only need to know that the alerts are safe, so a request now commits one
inbox row (many requests share one transaction, see ``intake_writer``) and the engine applies
inbox rows in order, many at once.

Order: entries are applied strictly in id order by one applier at a time (a PostgreSQL advisory
lock; SQLite serialises writers anyway). Requests that repeat an identity with another action
(a trigger then its resolve) are applied in successive waves, so the result is the one the
sender meant, as if each request had been applied alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import event_codec
from plantao.alerts import service as alert_service
from plantao.alerts.models import InboxEntry
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.service import IntegrationRef
from plantao.db import is_postgres, wake_engines

#: Fixed key of the advisory lock that makes one applier at a time (any 64-bit value would do).
_APPLIER_LOCK = 0x706C616E74616F01


@dataclass(frozen=True)
class Submission:
    """One request's validated events, as the edge hands them over."""

    key: str
    source: str
    events: Sequence[AlertEvent]
    request_id: str | None = None


@dataclass(frozen=True)
class NewEntry:
    """The inbox row one accepted submission becomes; ``position`` is its index in the batch."""

    position: int
    integration_id: int
    source: str
    events: list[dict[str, Any]]
    request_id: str | None


def new_entries(
    keys: Mapping[str, IntegrationRef], submissions: Sequence[Submission]
) -> list[NewEntry]:
    """The submissions whose key is known (and that carry events), ready to insert. Shared by
    ``accept`` and the PostgreSQL driver-level writer so both store exactly the same rows."""
    found = []
    for position, submission in enumerate(submissions):
        key = submission.key
        ref = keys.get(key) if key and len(key) <= 64 else None
        if ref is not None and submission.events:
            events = [event_codec.encode(e) for e in submission.events]
            found.append(
                NewEntry(position, ref.id, submission.source, events, submission.request_id)
            )
    return found


def ids_by_position(
    count: int, entries: Sequence[NewEntry], ids: Sequence[int]
) -> list[int | None]:
    """One answer per submission: its inbox id, or None where the key was unknown."""
    answers: list[int | None] = [None] * count
    for entry, entry_id in zip(entries, ids, strict=True):
        answers[entry.position] = int(entry_id)
    return answers


def accept(session: Session, submissions: Sequence[Submission]) -> list[int | None]:
    """Store each submission whose key is known; its inbox id, or None for an unknown key.

    One multi-row INSERT for the whole batch; the caller commits, and only then answers.
    """
    entries = new_entries(catalog_service.integration_refs(session), submissions)
    if not entries:
        return [None] * len(submissions)
    now = clock.now()
    rows = [
        {
            "integration_id": e.integration_id,
            "source": e.source,
            "events": e.events,
            "alert_count": len(e.events),
            "request_id": e.request_id,
            "received_at": now,
            "state": "pending",
            "attempts": 0,
        }
        for e in entries
    ]
    table = cast(Table, InboxEntry.__table__)
    # A Core insert on the table (not the ORM entity): no unit of work for rows nobody reads back.
    inserted = session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    ).all()
    wake_engines(session)
    return ids_by_position(len(submissions), entries, inserted)


@dataclass
class Applied:
    """What one application pass did; outcomes are counted by (source, outcome) for metrics."""

    entries: int = 0
    alerts: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    oldest_received_at: datetime | None = None


def _take_lock(session: Session) -> bool:
    if not is_postgres(session):
        return True
    got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _APPLIER_LOCK})
    return bool(got.scalar())


def apply_pending(
    session: Session,
    *,
    max_entries: int = 200,
    max_alerts: int = 2000,
    only_id: int | None = None,
) -> Applied:
    """Apply the oldest pending entries (or exactly ``only_id``) and delete them; caller commits.

    Bounded by entries and alerts so one transaction stays short enough for the engine to keep
    its timers on time while a storm is being applied.
    """
    applied = Applied()
    if not _take_lock(session):  # another applier is at it: nothing to do here
        return applied
    query = select(InboxEntry).where(InboxEntry.state == "pending").order_by(InboxEntry.id)
    if only_id is not None:
        query = select(InboxEntry).where(InboxEntry.id == only_id, InboxEntry.state == "pending")
    entries: list[InboxEntry] = []
    alerts = 0
    for entry in session.scalars(query.limit(max_entries)):
        if entries and alerts + entry.alert_count > max_alerts:
            break
        entries.append(entry)
        alerts += entry.alert_count
    if not entries:
        return applied
    refs = catalog_service.integrations_by_id(session)
    for wave in _waves(entries):
        for (integration_id, source), events in wave.items():
            ref = refs.get(integration_id)
            if ref is None:  # the integration was deleted after accepting: nothing to apply to
                continue
            result = alert_service.ingest(session, ref, events)
            for outcome, count in result.outcomes().items():
                if count:
                    applied.outcomes[(source, outcome)] += count
    session.execute(delete(InboxEntry).where(InboxEntry.id.in_([e.id for e in entries])))
    applied.entries = len(entries)
    applied.alerts = alerts
    applied.oldest_received_at = entries[0].received_at
    return applied


def _waves(entries: Sequence[InboxEntry]) -> list[dict[tuple[int, str], list[AlertEvent]]]:
    """Split entries, in order, into waves in which no identity changes its action.

    Within a wave ``ingest`` keeps the last event of each identity, which is what applying the
    requests one by one would leave, except that a repeated identical event counts once.
    """
    waves: list[dict[tuple[int, str], list[AlertEvent]]] = []
    current: dict[tuple[int, str], list[AlertEvent]] = defaultdict(list)
    actions: dict[tuple[int, str], str] = {}
    for entry in entries:
        events = [event_codec.decode(body) for body in entry.events]
        if any(
            actions.get((entry.integration_id, e.identity), e.action) != e.action for e in events
        ):
            waves.append(current)
            current, actions = defaultdict(list), {}
        for event in events:
            actions[(entry.integration_id, event.identity)] = event.action
        current[(entry.integration_id, entry.source)].extend(events)
    waves.append(current)
    return waves


def pending_ids(session: Session, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(InboxEntry.id)
            .where(InboxEntry.state == "pending")
            .order_by(InboxEntry.id)
            .limit(limit)
        )
    )


def mark_failed(session: Session, entry_id: int, error: str) -> None:
    """Keep an entry that cannot be applied, with why: accepted alerts are never dropped."""
    session.execute(
        update(InboxEntry)
        .where(InboxEntry.id == entry_id)
        .values(state="failed", attempts=InboxEntry.attempts + 1, last_error=error[:2000])
    )


def retry_failed(session: Session, entry_id: int | None = None) -> int:
    """Put failed entries (one, or all) back in line; how many were requeued."""
    statement = update(InboxEntry).where(InboxEntry.state == "failed")
    if entry_id is not None:
        statement = statement.where(InboxEntry.id == entry_id)
    ids = list(session.scalars(statement.values(state="pending").returning(InboxEntry.id)))
    if ids:
        wake_engines(session)
    return len(ids)


def failed_entries(session: Session, limit: int = 100) -> list[InboxEntry]:
    return list(
        session.scalars(
            select(InboxEntry)
            .where(InboxEntry.state == "failed")
            .order_by(InboxEntry.id)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Depth:
    pending_entries: int
    pending_alerts: int
    failed_entries: int
    oldest_pending_age: timedelta


def depth(session: Session) -> Depth:
    """How far behind the applier is, for /metrics and the engine health probe."""
    counts = {
        state: (int(n), int(a or 0))
        for state, n, a in session.execute(
            select(InboxEntry.state, func.count(), func.sum(InboxEntry.alert_count)).group_by(
                InboxEntry.state
            )
        ).tuples()
    }
    oldest = session.scalar(
        select(func.min(InboxEntry.received_at)).where(InboxEntry.state == "pending")
    )
    age = clock.now() - oldest if oldest is not None else timedelta(0)
    pending = counts.get("pending", (0, 0))
    return Depth(
        pending_entries=pending[0],
        pending_alerts=pending[1],
        failed_entries=counts.get("failed", (0, 0))[0],
        oldest_pending_age=max(age, timedelta(0)),
    )
