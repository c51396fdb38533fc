"""The engine's inbox step: apply accepted intake requests to alerts and incidents.

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
from plantao.alerts import inbox
from plantao.alerts.inbox import Applied
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine.outage import database_unavailable as _database_away
from plantao.observability import metrics

log = structlog.get_logger("plantao.engine.inbox")


class InboxStep:
    #: Runs before the cycle's jobs: the escalation timers of incidents it opens are due at once.
    before_jobs = True

    def __init__(self, settings: Settings) -> None:
        self.max_entries = settings.inbox_batch_requests
        self.max_alerts = settings.inbox_batch_alerts

    def __call__(self, factory: sessionmaker[Session], worker_id: str) -> int:
        try:
            applied = run_transaction(
                factory,
                lambda s: inbox.apply_pending(
                    s, max_entries=self.max_entries, max_alerts=self.max_alerts
                ),
            )
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
            return inbox.apply_pending(session, only_id=entry_id)

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
