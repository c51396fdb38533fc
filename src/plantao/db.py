"""Engine, sessions and the declarative base.

The same code runs on SQLite (the embedded default) and PostgreSQL. SQLite needs two things that
PostgreSQL does not: ``BEGIN IMMEDIATE`` so that concurrent writers queue on the database lock
instead of failing on lock upgrade, and WAL so that readers never wait for writers.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both databases.

    SQLite stores no offset; without this, values read back would be naive and comparisons with
    ``clock.now()`` would raise.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
        list[dict[str, Any]]: JSONType,
    }


class _WriterLock:
    """One writer at a time per SQLite file inside this process, handed over at once.

    Why: every transaction starts with ``BEGIN IMMEDIATE``; when two threads of one process (the
    intake writer and the engine) want it together, SQLite's busy handler makes the loser sleep
    1, 2, 5 … 100 ms between tries, which showed up as request latencies of seconds. Waiting on
    a lock instead wakes the next writer the moment the previous one commits. Other processes
    still meet the busy handler, as before.
    """

    _by_path: ClassVar[dict[str, threading.Lock]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def for_path(cls, path: str) -> threading.Lock:
        with cls._guard:
            return cls._by_path.setdefault(path, threading.Lock())


class _LockingSqliteConnection(sqlite3.Connection):
    """Releases the writer lock when its transaction ends, whichever way it ends."""

    writer_lock: threading.Lock | None = None
    holds_writer_lock = False

    def begin_immediate(self) -> None:
        lock = self.writer_lock
        # The timeout matches the busy timeout: past it, fall through to SQLite's own waiting.
        self.holds_writer_lock = lock is not None and lock.acquire(timeout=30)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def _release(self) -> None:
        if self.holds_writer_lock and self.writer_lock is not None:
            self.holds_writer_lock = False
            self.writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN IMMEDIATE
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_on_begin(conn: Any) -> None:
    dbapi_conn = conn.connection.dbapi_connection
    if isinstance(dbapi_conn, _LockingSqliteConnection):
        dbapi_conn.begin_immediate()
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine whose errors never carry their SQL parameters (``hide_parameters``).

    Parameters hold integration keys, token hashes and alert bodies; an exception message that
    quotes them would put a credential in the log of whoever logs the exception.
    """
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
        if not memory:
            lock = _WriterLock.for_path(os.path.realpath(url.split("///", 1)[-1]))
            connect_args["factory"] = type(
                "_PlantaoSqliteConnection", (_LockingSqliteConnection,), {"writer_lock": lock}
            )
        kwargs: dict[str, Any] = {"connect_args": connect_args, "hide_parameters": True}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
        # A database host that drops packets must look like an outage within seconds (503,
        # engine backoff), not hang every request for the kernel's TCP timeout.
        connect_args={"connect_timeout": 10},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. Entry points own this."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


WAKE_CHANNEL = "plantao_jobs"
_WAKE = "plantao.wake_engines"
_local_waiters: set[threading.Event] = set()
_local_guard = threading.Lock()


def wake_engines(session: Session) -> None:
    """Ask sleeping engines to run a cycle as soon as this transaction commits.

    PostgreSQL: one NOTIFY per transaction, however many jobs, deliveries or reaction markers it
    wrote (notifications are delivered at commit anyway, and every extra statement is a round
    trip on intake's path). Engines of this process (the one inside ``plantao serve``, the only
    one on SQLite) are also woken through an in-process event set after the commit, so they do
    not wait for the next poll.
    """
    session.info[_WAKE] = True


def local_waiter() -> threading.Event:
    """An event set after every commit that woke the engines; an engine loop of this process
    sleeps on it (and forgets it with :func:`drop_local_waiter`)."""
    event = threading.Event()
    with _local_guard:
        _local_waiters.add(event)
    return event


def drop_local_waiter(event: threading.Event) -> None:
    with _local_guard:
        _local_waiters.discard(event)


@event.listens_for(Session, "before_commit")
def _notify_engines(session: Session) -> None:
    if session.info.get(_WAKE) and is_postgres(session):
        session.execute(text(f"NOTIFY {WAKE_CHANNEL}"))


@event.listens_for(Session, "after_commit")
def _wake_local_engines(session: Session) -> None:
    if session.info.pop(_WAKE, False):
        with _local_guard:
            for waiter in _local_waiters:
                waiter.set()


@event.listens_for(Session, "after_rollback")
def _forget_wake(session: Session) -> None:
    session.info.pop(_WAKE, None)


_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}


def _retryable(exc: Exception) -> bool:
    from sqlalchemy.exc import IntegrityError, OperationalError

    if not isinstance(exc, (IntegrityError, OperationalError)):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    message = str(orig or exc).lower()
    return "database is locked" in message or "unique constraint failed" in message


def run_transaction(
    factory: sessionmaker[Session], work: Callable[[Session], T], *, attempts: int = 6
) -> T:
    """Run ``work`` in its own transaction, retrying conflicts that a fresh attempt resolves.

    Concurrent deliveries of the same new alert collide on the open-identity unique index; the
    loser's retry then finds the winner's row and takes the dedup path. Serialization failures
    and deadlocks on PostgreSQL, and a busy SQLite database, are retried the same way.
    """
    delay = 0.005
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(factory) as session:
                return work(session)
        except Exception as exc:
            if attempt == attempts or not _retryable(exc):
                raise
            time.sleep(delay * (1 + random.random()))  # noqa: S311 - jitter, not crypto
            delay *= 2
    raise AssertionError("unreachable")
