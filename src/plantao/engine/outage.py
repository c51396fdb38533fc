"""Telling "the database is away" from other errors, and riding such an outage out.

Why: the engine used to die when its connection dropped (the LISTEN wait had no error handling),
and with ``serve --no-engine`` plus ``plantao worker`` nothing restarted it, so intake kept
answering 202 and nobody was paged. An outage is not a bug: the engine now waits with capped,
jittered exponential backoff (many engines do not reconnect in lockstep), reports itself
unhealthy meanwhile (``plantao_engine_database_up`` and ``/healthz/engine``) and logs the
outage once when it starts and once when it ends, never per retry. The API maps the same errors
to 503 (``api/errors.py``), so both sides agree on what an outage is.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time

import psycopg
import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = structlog.get_logger("plantao.engine")

DATABASE_UP = Gauge(
    "plantao_engine_database_up",
    "1 while this process's engine reaches its database, 0 during an outage",
)
OUTAGES = Counter(
    "plantao_engine_database_outages_total",
    "Database outages this process's engine rode out (connection refused, dropped or timed out)",
)


def database_unavailable(exc: BaseException) -> bool:
    """True for errors that mean the database cannot be reached or answered, not a bad query.

    SQLAlchemy ``OperationalError`` (connection refused or dropped, server shutting down,
    SQLite's ``database is locked``), a ``DBAPIError`` that invalidated its connection, the pool
    timing out waiting for a connection, and the drivers' own operational errors when they are
    used directly (the intake writer's psycopg connection).
    """
    if isinstance(exc, OperationalError | PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated) or isinstance(
            exc.orig, psycopg.OperationalError | sqlite3.OperationalError
        )
    return isinstance(exc, psycopg.OperationalError | sqlite3.OperationalError)


class Outage:
    """Backoff and health for one engine loop; shared by its threads (hence the lock)."""

    def __init__(self, *, base: float = 0.5, cap: float = 5.0) -> None:
        self.base = base
        self.cap = cap
        self._lock = threading.Lock()
        self._failures = 0
        self._down_since: float | None = None
        self._rng = random.Random()  # noqa: S311 - jitter, not a secret
        DATABASE_UP.set(1)

    @property
    def down_since(self) -> float | None:
        """``time.time()`` when the current outage began; None while the database answers."""
        return self._down_since

    def failed(self, exc: BaseException) -> float:
        """Record a failed attempt; how long to wait before the next (capped, jittered)."""
        with self._lock:
            self._failures += 1
            if self._down_since is None:
                self._down_since = time.time()
                DATABASE_UP.set(0)
                OUTAGES.inc()
                log.error(
                    "engine.database_unavailable",
                    error=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                    retry="with backoff until it answers",
                )
            ceiling = min(self.cap, self.base * 2.0 ** min(self._failures - 1, 16))
            # "Equal jitter": at least half the ceiling, so retries never spin.
            return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def recovered(self) -> None:
        """The database answered: end the outage (logged once, with its length)."""
        if self._down_since is None:  # the common case: no lock, no work
            return
        with self._lock:
            if self._down_since is None:
                return
            log.warning(
                "engine.database_recovered",
                down_seconds=round(time.time() - self._down_since, 3),
                attempts=self._failures,
            )
            self._down_since = None
            self._failures = 0
            DATABASE_UP.set(1)
