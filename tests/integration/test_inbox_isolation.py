"""One request the database refuses fails alone; its group's other requests are stored.

The edge refuses unstorable values, so these tests hand the writer events the edge would have
refused (a value JSON cannot hold; on PostgreSQL also NUL and 300 levels of nesting) to prove the
backstop: the group commit fails, the writer stores it again in halves, and only the guilty
requests get an error. A second connection holding the inbox's lock makes the requests queue up
behind a first one, so they really are committed as one group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.intake.inbox import Submission
from plantao.intake.inbox_postgres import PostgresInbox
from plantao.intake.models import InboxEntry
from plantao.intake.sources import alertmanager
from plantao.intake.writer import IntakeWriter, Unstorable
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.inbox import drain
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import count


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    return factory


def _writer(engine: Engine, factory: sessionmaker[Session]) -> IntakeWriter:
    postgres = PostgresInbox(engine, factory) if engine.dialect.name == "postgresql" else None
    return IntakeWriter(factory, postgres=postgres)


def _good(name: str) -> Submission:
    events, _ = alertmanager.parse(am_webhook([am_alert(instance=name)], group_key="g"))
    return Submission(AM_KEY, "alertmanager", events, f"req-{name}")


def _poisoned(name: str, **change: Any) -> Submission:
    good = _good(name)
    return replace(good, events=[replace(good.events[0], **change)])


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def _bad_submissions(engine: Engine) -> list[Submission]:
    """Values the database (or its JSON encoder) refuses on this backend."""
    bad = [_poisoned("bad-set", details={"not-json": {1, 2}})]
    if engine.dialect.name == "postgresql":
        bad += [
            _poisoned("bad-nul", summary="disk\x00full"),
            _poisoned("bad-deep", details={"custom_details": _nested(300)}),
        ]
    return bad


@contextmanager
def _inbox_locked(engine: Engine) -> Iterator[Callable[[], None]]:
    """Hold the inbox's write lock from another connection; yields the function releasing it."""
    other = make_engine(str(engine.url.render_as_string(hide_password=False)), pool_size=1)
    conn = other.connect()
    if engine.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE intake_inbox IN SHARE ROW EXCLUSIVE MODE"))
    else:
        conn.execute(text("SELECT 1"))  # the begin event takes SQLite's write lock (IMMEDIATE)
    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            conn.commit()

    try:
        yield release
    finally:
        release()
        conn.close()
        other.dispose()


def _send_as_one_group(
    engine: Engine, writer: IntakeWriter, submissions: list[Submission]
) -> list[Any]:
    """Send a first request that waits on the lock, queue the others behind it, then release:
    the others are committed as one group. Answers in order (an exception for a failure)."""

    async def scenario(release: Callable[[], None]) -> list[Any]:
        first = asyncio.ensure_future(writer.submit(_good("first")))
        await asyncio.sleep(0.3)  # the writer took it and waits for the lock
        rest = [asyncio.ensure_future(writer.submit(s)) for s in submissions]
        await asyncio.sleep(0.1)  # every request is queued
        release()
        return list(await asyncio.gather(first, *rest, return_exceptions=True))[1:]

    with _inbox_locked(engine) as release:
        try:
            return asyncio.run(scenario(release))
        finally:
            writer.close()


def test_refused_request_fails_alone_in_its_group(
    db: sessionmaker[Session], engine: Engine
) -> None:
    """In one group commit, each refused request gets Unstorable; every other is stored."""
    bad = _bad_submissions(engine)
    submissions = [_good(f"g{i}") for i in range(12)]
    for offset, submission in enumerate(bad):
        submissions.insert(1 + offset * 4, submission)
    writer = _writer(engine, db)
    answers = _send_as_one_group(engine, writer, submissions)
    assert writer.batches == 2, "the queued requests were not committed as one group"
    ids = []
    for submission, answer in zip(submissions, answers, strict=True):
        if submission.request_id and submission.request_id.startswith("req-bad"):
            assert isinstance(answer, Unstorable), (submission.request_id, answer)
        else:
            assert isinstance(answer, int), (submission.request_id, answer)
            ids.append(answer)
    assert ids == sorted(ids), "the stored requests kept their order"
    with session_scope(db) as session:
        stored = session.scalars(select(InboxEntry.request_id).order_by(InboxEntry.id)).all()
    assert stored == ["req-first"] + [f"req-g{i}" for i in range(12)]
    drain(db)
    assert count(db, Alert) == 13


def test_group_without_refused_values_is_one_commit(
    db: sessionmaker[Session], engine: Engine
) -> None:
    """The isolation path costs nothing when the group commit succeeds: one commit, all ids."""
    writer = _writer(engine, db)
    answers = _send_as_one_group(engine, writer, [_good(f"g{i}") for i in range(8)])
    assert writer.batches == 2 and all(isinstance(a, int) for a in answers)
    assert count(db, InboxEntry) == 9


def test_database_away_fails_every_request_and_stores_nothing(
    db: sessionmaker[Session], engine: Engine
) -> None:
    """With nothing listening, every request gets the connection error (503), none Unstorable."""
    if engine.dialect.name == "postgresql":
        away = make_engine("postgresql://postgres@127.0.0.1:1/nowhere", pool_size=1)
        writer = IntakeWriter(make_sessionmaker(away), postgres=PostgresInbox(away, db))
    else:
        away = make_engine("sqlite:////nonexistent-dir/plantao.db")
        writer = IntakeWriter(make_sessionmaker(away))
    submissions = [_good(f"g{i}") for i in range(5)] + _bad_submissions(engine)

    async def send() -> list[Any]:
        return list(
            await asyncio.gather(*(writer.submit(s) for s in submissions), return_exceptions=True)
        )

    try:
        answers = asyncio.run(send())
    finally:
        writer.close()
        away.dispose()
    assert all(isinstance(a, Exception) and not isinstance(a, Unstorable) for a in answers)
    assert count(db, InboxEntry) == 0
