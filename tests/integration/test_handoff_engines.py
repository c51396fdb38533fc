"""Two real engine processes on PostgreSQL send a batch of due handoffs exactly once, to a real
SMTP server (aiosmtpd) and a real webhook receiver (the team channel)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction, wake_engines
from plantao.notify.models import Delivery
from plantao.oncall.handoff_models import Handoff
from tests.conftest import empty_postgres
from tests.e2e.conftest import free_port
from tests.factories.handoffs import draft_at, setup_handoffs
from tests.factories.notify import SmtpSink, WebhookReceiver, wait_until
from tests.integration.test_notify_engines import Engines

#: Under the per-address limit of messages to one channel (``notify.addressed.LIMIT``).
BATCH = 12


@pytest.fixture
def db_url(postgres_database: str) -> str:
    """Several engines need PostgreSQL (SQLite runs one engine): this module runs on it only."""
    return empty_postgres(postgres_database)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def engines(db_url: str, tmp_path: Path) -> Iterator[Engines]:
    group = Engines(db_url, tmp_path)
    yield group
    group.stop_all()


def _sent(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).where(Handoff.status == "sent")) or 0)


def _make_due(session: Session) -> None:
    session.execute(update(Handoff).values(send_at=datetime.now(UTC) - timedelta(seconds=1)))
    wake_engines(session)


def test_two_engines_send_each_handoff_once_by_mail_and_webhook(
    factory: sessionmaker[Session],
    receiver: WebhookReceiver,
    sink: SmtpSink,
    engines: Engines,
) -> None:
    """12 handoffs fall due at once under two engines: 12 mails and 12 webhook posts arrive,
    one per handoff, and every handoff is sent once with its recipients."""
    setup_handoffs(factory, webhook=f"{receiver.url}/sre")
    first = datetime(2030, 1, 1, 9, tzinfo=UTC)
    ids = [
        draft_at(factory, "lisbon", first + timedelta(hours=i), ("bruno",), ("ana",))
        for i in range(BATCH)
    ]
    smtp = {"smtp_host": "127.0.0.1", "smtp_port": str(sink.port), "smtp_starttls": "false"}
    engines.start(**smtp)
    engines.start(**smtp)
    run_transaction(factory, _make_due)
    try:
        wait_until("every handoff sent", lambda: _sent(factory) == BATCH, 40)
        wait_until("every mail", lambda: len(sink.messages) >= BATCH, 40)
        wait_until("every webhook post", lambda: len(receiver.keys) >= BATCH, 40)
    except AssertionError:
        with factory() as s:
            states = s.execute(
                select(Delivery.state, Delivery.last_error).where(Delivery.step == "handoff")
            ).all()
        seen = (_sent(factory), len(sink.messages), len(receiver.keys), states[:4])
        raise AssertionError(f"{seen}\n{engines.logs()}") from None
    counts = receiver.counts()
    assert len(counts) == BATCH and set(counts.values()) == {1}
    subjects = sorted(str(make_header(decode_header(m["Subject"]))) for m in sink.messages)
    assert len(subjects) == BATCH and len(set(subjects)) == BATCH
    assert all(s.startswith("Passagem de plantão") for s in subjects)  # ana reads pt-BR
    with factory() as s:
        rows = list(s.scalars(select(Handoff).where(Handoff.id.in_(ids))))
        keys = list(s.scalars(select(Delivery.idempotency_key).where(Delivery.step == "handoff")))
    assert len(keys) == 2 * BATCH == len(set(keys))
    assert all(r.status == "sent" and r.sent_at is not None for r in rows)
    assert all(
        [p["handle"] for p in r.recipients if p["kind"] == "person"] == ["ana"] for r in rows
    )
