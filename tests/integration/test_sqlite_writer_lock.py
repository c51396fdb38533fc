"""SQLite writers of one process queue on a lock that is handed over when a transaction ends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from plantao.db import _WriterLock, make_engine, make_sessionmaker, session_scope
from tests.factories.threads import run_together


def _engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (n INTEGER)"))
    return engine


def test_second_writer_waits_for_commit_then_proceeds(tmp_path: Path) -> None:
    """A writer in another thread waits for the first commit, then writes; nothing fails."""
    engine = _engine(tmp_path / "a.db")
    factory = make_sessionmaker(engine)
    lock = _WriterLock.for_path(str((tmp_path / "a.db").resolve()))
    entered = threading.Event()
    order: list[str] = []

    def first() -> None:
        with session_scope(factory) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            entered.set()
            time.sleep(0.3)
            order.append("first commits")

    def second() -> None:
        entered.wait(5)
        with session_scope(factory) as session:
            session.execute(text("INSERT INTO t VALUES (2)"))  # waits here for the lock
            order.append("second wrote")

    assert run_together(lambda i: (first, second)[i](), 2, timeout=10).errors == []
    assert order == ["first commits", "second wrote"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    assert not lock.locked()
    engine.dispose()


def test_lock_is_released_by_rollback_and_by_a_kept_connection_committing(tmp_path: Path) -> None:
    """A failed transaction and a long-lived connection's commits both hand the lock over."""
    engine = _engine(tmp_path / "b.db")
    factory = make_sessionmaker(engine)
    lock = _WriterLock.for_path(str((tmp_path / "b.db").resolve()))

    def failing() -> None:
        with session_scope(factory) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing()
    assert not lock.locked()
    kept = engine.connect()
    for n in range(3):
        with factory(bind=kept) as session:
            session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            assert lock.locked()
            session.commit()
        assert not lock.locked()
    kept.close()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 3
    engine.dispose()
