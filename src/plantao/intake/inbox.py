"""The intake inbox: every incoming signal is stored durably at once and applied later, in order.

A sender's request commits one inbox row before its answer (many requests share one
transaction, see ``writer``); the engine's inbox step applies rows strictly in id order, many
at once. Alertmanager and PagerDuty senders only need to know their signal is safe, and applying
it (dedup, grouping, incident opening, escalation: ~17 statements for a new incident) in the
request would make each sender wait for all of it.

Kinds of entry, by ``source``:

- an alert source (``ALERT_SOURCES``): ``events`` holds alert events parsed at the edge
  (``event_codec``), applied by ``alerts.service.ingest``;
- ``heartbeat``: a monitor's beat or its deadline passing (records written by
  ``oncall.heartbeats``), applied by the monitor, which may raise or resolve its alert;
- ``pagerduty_change``: a change event (``changes.schemas.ChangeIn``), recorded by ``changes``.

Applying the kinds that belong to domains above this one is dispatched by the engine
(``engine.apply_inbox``); ``batch`` holds the order-keeping mechanics they share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.service import IntegrationRef
from plantao.db import wake_engines
from plantao.intake import event_codec
from plantao.intake.models import InboxEntry
from plantao.people import audit
from plantao.people.actor import SYSTEM, AuditActor

#: Sources whose entries hold alert events for ``ingest``.
ALERT_SOURCES = frozenset({"alertmanager", "grafana", "generic", "pagerduty"})
#: A heartbeat monitor's beat or passed deadline (see ``oncall.heartbeats``).
HEARTBEAT = "heartbeat"
#: A PagerDuty change event (see ``changes.schemas.ChangeIn``).
CHANGE = "pagerduty_change"


@dataclass(frozen=True)
class Submission:
    """One request's validated signal, as the edge hands it over.

    An alert request carries ``events``; a kind without alerts (a change event) carries its
    JSON-ready ``records`` instead.
    """

    key: str
    source: str
    events: Sequence[AlertEvent]
    request_id: str | None = None
    records: Sequence[dict[str, Any]] = ()


@dataclass(frozen=True)
class NewEntry:
    """The inbox row one accepted submission becomes; ``position`` is its index in the batch."""

    position: int
    integration_id: int
    source: str
    events: list[dict[str, Any]]
    alert_count: int
    request_id: str | None


def new_entries(
    keys: Mapping[str, IntegrationRef], submissions: Sequence[Submission]
) -> list[NewEntry]:
    """The submissions whose key is known (and that carry something), ready to insert. Shared
    by ``accept`` and the PostgreSQL driver-level writer so both store exactly the same rows."""
    found = []
    for position, submission in enumerate(submissions):
        key = submission.key
        ref = keys.get(key) if key and len(key) <= 64 else None
        if ref is not None and (submission.events or submission.records):
            bodies = [event_codec.encode(e) for e in submission.events]
            bodies += [dict(r) for r in submission.records]
            found.append(
                NewEntry(
                    position,
                    ref.id,
                    submission.source,
                    bodies,
                    len(submission.events),
                    submission.request_id,
                )
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
    inserted = _insert(session, entries)
    return ids_by_position(len(submissions), entries, inserted)


def add(
    session: Session, *, integration_id: int, source: str, records: Sequence[dict[str, Any]]
) -> int:
    """Store one entry of a kind without alerts inside the caller's transaction; its id.

    For signals whose sender is already known by other means (a heartbeat monitor's key, the
    monitor's own timer): they take their place in line like any request.
    """
    entry = NewEntry(0, integration_id, source, [dict(r) for r in records], 0, None)
    return _insert(session, [entry])[0]


def _insert(session: Session, entries: Sequence[NewEntry]) -> list[int]:
    now = clock.now()
    rows = [
        {
            "integration_id": e.integration_id,
            "source": e.source,
            "events": e.events,
            "alert_count": e.alert_count,
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
    return [int(i) for i in inserted]


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
    """Keep an entry that cannot be applied, with why: an accepted signal is never dropped."""
    session.execute(
        update(InboxEntry)
        .where(InboxEntry.id == entry_id)
        .values(state="failed", attempts=InboxEntry.attempts + 1, last_error=error[:2000])
    )


def retry_failed(
    session: Session, entry_id: int | None = None, *, actor: AuditActor = SYSTEM
) -> int:
    """Put failed entries (one, or all) back in line; how many were requeued.

    Each requeued entry gets an audit entry (with the error it had), in this transaction: a
    person decided to apply again what the engine had set aside.
    """
    statement = update(InboxEntry).where(InboxEntry.state == "failed")
    if entry_id is not None:
        statement = statement.where(InboxEntry.id == entry_id)
    rows = session.execute(
        statement.values(state="pending").returning(
            InboxEntry.id, InboxEntry.source, InboxEntry.attempts, InboxEntry.last_error
        )
    ).all()
    if not rows:
        return 0
    for row in sorted(rows, key=lambda r: int(r.id)):
        audit.record(
            session,
            actor,
            "inbox.retry",
            "inbox_entry",
            row.id,
            before={
                "state": "failed",
                "source": row.source,
                "attempts": row.attempts,
                "last_error": (row.last_error or "")[:500],
            },
            after={"state": "pending"},
        )
    wake_engines(session)
    return len(rows)


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
