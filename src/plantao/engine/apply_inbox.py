"""The engine's inbox step: apply every accepted signal, in arrival order, where it belongs.

Each entry is dispatched by its kind (``intake.inbox``): alert events go to ``alerts`` ingest,
many entries at once (``intake.batch.AlertRun``); heartbeat records to the monitor
(``oncall.heartbeats``: record the beat, schedule its timer, raise or resolve its alert, which
then takes its place among the alerts); change events to ``changes``, after the alerts that
arrived before them. The dispatch lives here because the engine may call every domain, while
``intake`` sits below ``oncall``. One transaction applies a batch and deletes its entries.

Runs first in every cycle. A batch that fails as a whole is retried entry by entry, so one entry
the code cannot apply (a bug, data nobody foresaw) is set aside as ``failed`` with its error,
visible in /metrics and ``GET /api/v1/intake/inbox``, and retried by an operator, while
everything behind it goes on. A database that is away fails nothing: entries stay pending and
the next cycle tries again.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog import service as catalog_service
from plantao.changes import service as change_service
from plantao.changes.schemas import ChangeIn
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine import reactions
from plantao.engine.outage import database_unavailable as _database_away
from plantao.incidents import reactions as incident_reactions
from plantao.intake import batch, event_codec, inbox
from plantao.intake.batch import AlertRun, Applied
from plantao.intake.models import InboxEntry
from plantao.observability import metrics
from plantao.oncall import heartbeats

log = structlog.get_logger("plantao.engine.inbox")


def apply_pending(
    session: Session,
    *,
    max_entries: int = 200,
    max_alerts: int = 2000,
    only_id: int | None = None,
) -> Applied:
    """Apply the oldest pending entries (or exactly ``only_id``) and delete them; caller commits.

    An entry of an unknown kind or with a malformed body raises, so it is set aside as failed.
    """
    applied = Applied()
    entries = batch.take(session, max_entries=max_entries, max_alerts=max_alerts, only_id=only_id)
    alerts = AlertRun(session, applied)
    for entry in entries:
        if entry.source in inbox.ALERT_SOURCES:
            events = [event_codec.decode(body) for body in entry.events]
            alerts.add(entry.integration_id, entry.source, events)
        elif entry.source == inbox.HEARTBEAT:
            for record in entry.events:
                raised = heartbeats.apply(session, record)
                if raised is not None:
                    alerts.add(raised.integration_id, inbox.HEARTBEAT, [raised.event])
        elif entry.source == inbox.CHANGE:
            alerts.flush()  # a change is shown beside incidents: never before earlier alerts
            _record_changes(session, entry, applied)
        else:
            raise ValueError(f"inbox entry of unknown kind {entry.source!r}")
    alerts.flush()
    batch.finish(session, entries, applied)
    return applied


def _record_changes(session: Session, entry: InboxEntry, applied: Applied) -> None:
    integration = catalog_service.integrations_by_id(session).get(entry.integration_id)
    if integration is None:  # the integration was deleted after accepting: nothing to apply to
        return
    for record in entry.events:
        change = ChangeIn.from_json(record)
        change_service.record(session, integration, change, received_at=entry.received_at)
        applied.outcomes[(inbox.CHANGE, "created")] += 1


def _react_in(session: Session) -> None:
    """Start the escalations of the incidents this batch opened in the batch's own transaction.

    Why: the reaction step would do the same a moment later, but in a transaction of its own,
    and on the page path every commit is a WAL flush (tens of milliseconds on a busy disk,
    measured by benchmarks/paging.py). A failure here is left to the reaction step (the markers
    stay), never to the inbox entries, which are applied either way.
    """
    held = incident_reactions.held(session)
    if not held:
        return
    try:
        with session.begin_nested():
            reactions.react_to(session, held)
    except Exception as exc:
        if _database_away(exc):
            raise
        log.error("reactions.in_inbox_failed", error=f"{type(exc).__name__}: {exc}")
        incident_reactions.write(session, held)  # the reaction step takes them over


class InboxStep:
    #: Runs before the cycle's jobs: the escalation timers of incidents it opens are due at once.
    before_jobs = True

    def __init__(self, settings: Settings) -> None:
        self.max_entries = settings.inbox_batch_requests
        self.max_alerts = settings.inbox_batch_alerts

    def __call__(self, factory: sessionmaker[Session], worker_id: str) -> int:
        def apply_and_react(session: Session) -> Applied:
            incident_reactions.hold_in_memory(session)
            applied = apply_pending(
                session, max_entries=self.max_entries, max_alerts=self.max_alerts
            )
            _react_in(session)
            return applied

        try:
            applied = run_transaction(factory, apply_and_react)
        except Exception as exc:
            if _database_away(exc):
                raise
            log.error("inbox.batch_failed", error=f"{type(exc).__name__}: {exc}")
            return self._one_by_one(factory)
        self._record(applied)
        return applied.entries

    def _one_by_one(self, factory: sessionmaker[Session]) -> int:
        done = 0
        for entry_id in run_transaction(factory, lambda s: inbox.pending_ids(s, self.max_entries)):
            done += self._apply_alone(factory, entry_id)
        return done

    def _apply_alone(self, factory: sessionmaker[Session], entry_id: int) -> int:
        def apply(session: Session) -> Applied:
            return apply_pending(session, only_id=entry_id)

        try:
            applied = run_transaction(factory, apply)
        except Exception as exc:
            if _database_away(exc):
                raise
            error = f"{type(exc).__name__}: {exc}"
            log.error("inbox.entry_failed", entry=entry_id, error=error)

            def set_aside(session: Session) -> None:
                inbox.mark_failed(session, entry_id, error)

            run_transaction(factory, set_aside)
            metrics.INBOX_FAILED.inc()
            return 1
        self._record(applied)
        return applied.entries

    @staticmethod
    def _record(applied: Applied) -> None:
        for (source, outcome), count in applied.outcomes.items():
            metrics.ALERTS_RECEIVED.labels(source, outcome).inc(count)
        if applied.oldest_received_at is not None:
            delay = (clock.now() - applied.oldest_received_at).total_seconds()
            metrics.INBOX_APPLY_DELAY.observe(max(delay, 0.0))
