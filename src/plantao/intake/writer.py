"""Group commit for intake: many concurrent requests, one transaction, each answered after it.

Why not a transaction per request: at a thousand small webhooks a second the cost is the commit
(a WAL flush, a round trip, a thread hop each), not the row. One writer thread takes whatever
requests are waiting, stores them with one multi-row INSERT and one commit, and only then
resolves each request's future, so a 2xx still means "durable". While one commit is in flight
the next batch gathers by itself: batches grow with load and stay at one request when idle.

No library does this for SQLAlchemy sessions and asyncio futures; it is a small loop.

One request must not fail its neighbours: the edge (``limits``) refuses values the database
cannot hold, but if a group commit still fails for any reason other than the database being
away, the group is stored again in halves, recursively, until the requests that fail are alone:
they get their error and every other request its id. Halving, not one by one, keeps a bad request
in a group of 500 to about 18 small transactions instead of 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
import structlog
from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from plantao.intake import inbox
from plantao.intake.inbox import Submission
from plantao.intake.inbox_postgres import PostgresInbox
from plantao.observability import metrics

log = structlog.get_logger("plantao.intake")


class Unstorable(Exception):
    """The database (or the encoder) refused this request's own values: nothing of it was
    stored, and sending it again would fail again, so its sender gets a 4xx, not a 503."""


_UNAVAILABLE: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no pooled connection came free
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,  # also "database is locked": retrying later is the answer
    sqlite3.InterfaceError,
    OSError,
)
_REFUSED_VALUES: tuple[type[BaseException], ...] = (
    psycopg.DataError,  # NUL in text or jsonb, a string too long for its column
    sqlite3.DataError,
    TypeError,  # orjson.JSONEncodeError: nesting over 255 levels, a value JSON cannot hold
    ValueError,
    RecursionError,
)


def unavailable(exc: BaseException) -> bool:
    """The database is away (or busy): every request of the group fails alike, 503."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _UNAVAILABLE)


def refused_values(exc: BaseException) -> bool:
    """The failure is about the values sent, not about the database."""
    cause = exc.orig if isinstance(exc, sa_exc.StatementError) else exc
    return isinstance(cause, _REFUSED_VALUES)


Result = int | BaseException | None


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

    def _store(self, submissions: Sequence[Submission]) -> list[int | None]:
        """One transaction on the writer's own connection, retried once on a fresh one if the
        connection failed (the server may have closed it while idle).

        A connection kept for the thread's life saves the pool's checkout ping and reset on
        return: two of the six round trips a pooled transaction cost here.
        """
        for attempt in (1, 2):
            if self.postgres is not None:
                try:
                    return self.postgres.accept(submissions)
                except Exception as exc:
                    if attempt == 2 or not unavailable(exc):
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
            except Exception as exc:
                self._drop_connection()
                if attempt == 2 or not unavailable(exc):
                    raise
        raise AssertionError("unreachable")

    def _isolate(self, submissions: Sequence[Submission], error: Exception) -> list[Result]:
        """After ``submissions`` failed together with ``error``: store what can be stored.

        The database being away fails them all (503, nothing stored). Otherwise each half is
        stored on its own and a failing half is split again, in order, so requests are still
        stored in the order they arrived and only the ones that fail alone get an error.
        """
        if unavailable(error):
            return [error] * len(submissions)
        if len(submissions) == 1:
            log.warning(
                "intake.request_unstorable",
                source=submissions[0].source,
                request_id=submissions[0].request_id,
                error=type(error).__name__,
            )
            if refused_values(error):
                refused = Unstorable(type(error).__name__)
                refused.__cause__ = error
                return [refused]
            return [error]
        middle = len(submissions) // 2
        results: list[Result] = []
        for half in (submissions[:middle], submissions[middle:]):
            down = next(
                (r for r in results if isinstance(r, BaseException) and unavailable(r)), None
            )
            if down is not None:  # the database went away meanwhile: fail the rest alike
                results += [down] * len(half)
                continue
            try:
                results += self._store(half)
            except Exception as exc:
                results += self._isolate(half, exc)
        return results

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
        results: Sequence[Result]
        started = time.perf_counter()
        try:
            results = self._store(submissions)
        except Exception as exc:  # nothing of the group was stored; find who can be
            log.error("intake.commit_failed", requests=len(batch), error=type(exc).__name__)
            results = self._isolate(submissions, exc)
        self.batches += 1
        self.requests += len(batch)
        metrics.INTAKE_COMMIT_SECONDS.observe(time.perf_counter() - started)
        metrics.INTAKE_COMMIT_REQUESTS.observe(len(batch))
        for pending, result in zip(batch, results, strict=True):
            try:
                pending.loop.call_soon_threadsafe(_settle, pending.future, result)
            except RuntimeError:  # that request's event loop is gone; the entry is stored
                continue
