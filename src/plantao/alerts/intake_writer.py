"""Group commit for intake: many concurrent requests, one transaction, each answered after it.

Why not a transaction per request: at a thousand small webhooks a second the cost is the commit
(a WAL flush, a round trip, a thread hop each), not the row. One writer thread takes whatever
requests are waiting, stores them with one multi-row INSERT and one commit, and only then
resolves each request's future, so a 2xx still means "durable". While one commit is in flight
the next batch gathers by itself: batches grow with load and stay at one request when idle.

No library does this for SQLAlchemy sessions and asyncio futures; it is a small loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts import inbox
from plantao.alerts.inbox import Submission
from plantao.alerts.inbox_postgres import PostgresInbox
from plantao.observability import metrics

log = structlog.get_logger("plantao.intake")


@dataclass
class _Pending:
    submission: Submission
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[int | None]


def _settle(future: asyncio.Future[int | None], value: int | BaseException | None) -> None:
    if future.done():  # the client went away; its entry is stored all the same
        return
    if isinstance(value, BaseException):
        future.set_exception(value)
    else:
        future.set_result(value)


class IntakeWriter:
    """Owns one thread; ``submit`` may be awaited from any event loop.

    One thread, not several: it keeps requests in the order they arrived (a trigger is never
    stored after its resolve), and a second writer measured slower here, not faster (smaller
    groups on a CPU-bound machine; see benchmarks/README.md).
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        max_requests: int = 500,
        max_alerts: int = 20_000,
        postgres: PostgresInbox | None = None,
    ) -> None:
        self.factory = factory
        self.postgres = postgres  # the driver-level path on PostgreSQL, see inbox_postgres
        self.max_requests = max_requests
        self.max_alerts = max_alerts
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._connection: Connection | None = None  # owned by the writer thread
        self.batches = 0
        self.requests = 0

    async def submit(self, submission: Submission) -> int | None:
        """The inbox id once committed; None for an unknown key. Raises if the commit failed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()
        self._ensure_started()
        self._queue.put(_Pending(submission, loop, future))
        return await future

    def _ensure_started(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="plantao-intake", daemon=True)
                thread.start()
                self._thread = thread

    def close(self, timeout: float = 10.0) -> None:
        """Finish what was queued, then stop the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._drop_connection()
                return
            batch = [first]
            alerts = len(first.submission.events)
            stop = False
            while len(batch) < self.max_requests and alerts < self.max_alerts:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
                alerts += len(more.submission.events)
            self._write(batch)
            if stop:
                self._drop_connection()
                return

    def _store(self, submissions: list[Submission]) -> list[int | None]:
        """One transaction on the writer's own connection, retried once on a fresh one.

        A connection kept for the thread's life saves the pool's checkout ping and reset on
        return: two of the six round trips a pooled transaction cost here.
        """
        for attempt in (1, 2):
            if self.postgres is not None:
                try:
                    return self.postgres.accept(submissions)
                except Exception:
                    if attempt == 2:
                        raise
                    continue
            if self._connection is None:
                bind = self.factory.kw["bind"]
                self._connection = bind.connect()
            try:
                with self.factory(bind=self._connection) as session:
                    ids = inbox.accept(session, submissions)
                    session.commit()
                    return ids
            except Exception:
                self._drop_connection()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _drop_connection(self) -> None:
        if self.postgres is not None:
            with contextlib.suppress(Exception):
                self.postgres.close()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.invalidate()
                self._connection.close()
            self._connection = None

    def _write(self, batch: Sequence[_Pending]) -> None:
        submissions = [p.submission for p in batch]
        results: Sequence[int | BaseException | None]
        started = time.perf_counter()
        try:
            results = self._store(submissions)
        except Exception as exc:  # nothing was stored: every request in the batch says so
            log.error("intake.commit_failed", requests=len(batch), error=type(exc).__name__)
            results = [exc] * len(batch)
        self.batches += 1
        self.requests += len(batch)
        metrics.INTAKE_COMMIT_SECONDS.observe(time.perf_counter() - started)
        metrics.INTAKE_COMMIT_REQUESTS.observe(len(batch))
        for pending, result in zip(batch, results, strict=True):
            try:
                pending.loop.call_soon_threadsafe(_settle, pending.future, result)
            except RuntimeError:  # that request's event loop is gone; the entry is stored
                continue
