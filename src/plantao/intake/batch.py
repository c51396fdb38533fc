"""One application pass over the inbox: take the oldest entries, run their alerts in order.

Order: entries are applied strictly in id order by one applier at a time (a PostgreSQL advisory
lock; SQLite serialises writers anyway). Alert events of many entries are applied together, set
based, in *waves*: a wave ends where an identity would change its action (a trigger, then its
resolve), so the result is the one the senders meant, as if each request had been applied alone.
An entry of another kind that must not overtake the alerts before it (a change event) calls
``AlertRun.flush`` first.

The pass is bounded by entries and alerts so one transaction stays short enough for the engine
to keep its timers on time while a storm is being applied. The caller (the engine's inbox step)
dispatches each entry by kind and commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from plantao.alerts import service as alert_service
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.service import IntegrationRef
from plantao.db import is_postgres
from plantao.intake.models import InboxEntry

#: Fixed key of the advisory lock that makes one applier at a time (any 64-bit value would do).
_APPLIER_LOCK = 0x706C616E74616F01


@dataclass
class Applied:
    """What one application pass did; outcomes are counted by (source, outcome) for metrics."""

    entries: int = 0
    alerts: int = 0
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    oldest_received_at: datetime | None = None
    incidents: set[int] = field(default_factory=set)  # ids of the incidents the alerts touched


def _take_lock(session: Session) -> bool:
    if not is_postgres(session):
        return True
    got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _APPLIER_LOCK})
    return bool(got.scalar())


def take(
    session: Session, *, max_entries: int, max_alerts: int, only_id: int | None = None
) -> list[InboxEntry]:
    """The oldest pending entries (or exactly ``only_id``), in id order; none while another
    applier holds the lock."""
    if not _take_lock(session):
        return []
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
    return entries


def finish(session: Session, entries: Sequence[InboxEntry], applied: Applied) -> None:
    """Delete the applied entries in the transaction that applied them, and count them."""
    if not entries:
        return
    session.execute(delete(InboxEntry).where(InboxEntry.id.in_([e.id for e in entries])))
    applied.entries = len(entries)
    applied.alerts = sum(e.alert_count for e in entries)
    applied.oldest_received_at = entries[0].received_at


Wave = dict[tuple[int, str], list[AlertEvent]]


class AlertRun:
    """Alert events in arrival order, applied by ``ingest`` in waves when flushed.

    Within a wave ``ingest`` keeps the last event of each identity, which is what applying the
    requests one by one would leave, except that a repeated identical event counts once.
    """

    def __init__(self, session: Session, applied: Applied) -> None:
        self.session = session
        self.applied = applied
        self._refs: dict[int, IntegrationRef] | None = None
        self._waves: list[Wave] = []
        self._current: Wave = defaultdict(list)
        self._actions: dict[tuple[int, str], str] = {}

    def add(self, integration_id: int, source: str, events: Sequence[AlertEvent]) -> None:
        if any(
            self._actions.get((integration_id, e.identity), e.action) != e.action for e in events
        ):
            self._waves.append(self._current)
            self._current, self._actions = defaultdict(list), {}
        for event in events:
            self._actions[(integration_id, event.identity)] = event.action
        self._current[(integration_id, source)].extend(events)

    def flush(self) -> None:
        """Apply every event added so far, wave by wave."""
        waves = [*self._waves, self._current]
        self._waves, self._current, self._actions = [], defaultdict(list), {}
        for wave in waves:
            for (integration_id, source), events in wave.items():
                ref = self._ref(integration_id)
                if ref is None:  # the integration was deleted after accepting: nothing to apply to
                    continue
                result = alert_service.ingest(self.session, ref, events)
                self.applied.incidents.update(result.touched)
                for outcome, count in result.outcomes().items():
                    if count:
                        self.applied.outcomes[(source, outcome)] += count

    def _ref(self, integration_id: int) -> IntegrationRef | None:
        if self._refs is None:
            self._refs = catalog_service.integrations_by_id(self.session)
        return self._refs.get(integration_id)
