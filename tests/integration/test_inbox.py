"""The intake inbox: accepted requests are durable, applied in order, and never dropped."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import make_engine, make_sessionmaker, run_transaction, session_scope
from plantao.incidents.models import Incident
from plantao.intake import inbox
from plantao.intake.inbox import Submission
from plantao.intake.inbox_postgres import PostgresInbox
from plantao.intake.models import InboxEntry
from plantao.intake.sources import alertmanager, pagerduty
from plantao.intake.writer import IntakeWriter
from plantao.observability import metrics
from tests.factories.config import AM_KEY, PD_KEY, apply_standard
from tests.factories.inbox import drain
from tests.factories.payloads import am_alert, am_webhook, pd_event
from tests.factories.threads import run_together
from tests.integration.helpers import alerts, count, incidents


@pytest.fixture
def db(factory: sessionmaker[Session], frozen: datetime) -> sessionmaker[Session]:
    apply_standard(factory)
    return factory


def _am(body: dict[str, Any]) -> Submission:
    events, rejected = alertmanager.parse(body)
    assert rejected == []
    return Submission(AM_KEY, "alertmanager", events)


def _pd(body: dict[str, Any]) -> Submission:
    return Submission(
        PD_KEY, "pagerduty", [pagerduty.to_alert_event(pagerduty.Event.model_validate(body))]
    )


def _accept(factory: sessionmaker[Session], *submissions: Submission) -> list[int | None]:
    return run_transaction(factory, lambda s: inbox.accept(s, list(submissions)))


def test_accept_stores_known_keys_only(db: sessionmaker[Session]) -> None:
    """Known keys get an inbox id; an unknown key gets None and stores nothing for it."""
    good = _am(am_webhook([am_alert(instance="a"), am_alert(instance="b")]))
    bad = Submission("not-a-key", "alertmanager", good.events)
    ids = _accept(db, good, bad)
    assert isinstance(ids[0], int) and ids[1] is None
    assert count(db, InboxEntry) == 1 and count(db, Alert) == 0
    with session_scope(db) as session:
        assert inbox.depth(session).pending_alerts == 2


def test_requests_apply_in_order_even_in_one_batch(db: sessionmaker[Session]) -> None:
    """A trigger and its resolve, accepted before the engine runs, leave a resolved incident."""
    _accept(db, _am(am_webhook([am_alert(instance="a")])))
    _accept(db, _am(am_webhook([am_alert(status="resolved", instance="a")])))
    assert drain(db) == 2
    rows = alerts(db)
    assert [r.status for r in rows] == ["resolved"]
    assert [i.status for i in incidents(db)] == ["resolved"]


def test_pagerduty_trigger_resolve_trigger_in_one_batch(db: sessionmaker[Session]) -> None:
    """PD semantics hold across one batch: trigger, resolve, trigger again = two alerts."""
    _accept(db, _pd(pd_event(dedup_key="k1")))
    _accept(db, _pd(pd_event("resolve", dedup_key="k1")))
    _accept(db, _pd(pd_event(dedup_key="k1")))
    drain(db)
    assert sorted(r.status for r in alerts(db)) == ["firing", "resolved"]


def test_repeats_in_one_batch_are_one_alert(db: sessionmaker[Session]) -> None:
    """The same snapshot accepted three times before the engine runs makes one alert."""
    body = am_webhook([am_alert(instance="a"), am_alert(instance="b")])
    for _ in range(3):
        _accept(db, _am(body))
    drain(db)
    assert count(db, Alert) == 2 and count(db, Incident) == 1 and count(db, InboxEntry) == 0


def test_entry_that_cannot_apply_is_kept_as_failed(db: sessionmaker[Session]) -> None:
    """A poisoned entry is set aside with its error; the entries around it are applied."""
    first = _accept(db, _am(am_webhook([am_alert(instance="a")], group_key="g1")))[0]
    bad = _accept(db, _am(am_webhook([am_alert(instance="b")], group_key="g2")))[0]
    last = _accept(db, _am(am_webhook([am_alert(instance="c")], group_key="g3")))[0]
    assert first and bad and last
    with session_scope(db) as session:
        session.execute(
            update(InboxEntry).where(InboxEntry.id == bad).values(events=[{"action": "explode"}])
        )
    before = metrics.INBOX_FAILED._value.get()
    drain(db)
    assert count(db, Alert) == 2 and count(db, InboxEntry, InboxEntry.state == "failed") == 1
    assert metrics.INBOX_FAILED._value.get() == before + 1
    with session_scope(db) as session:
        (failed,) = inbox.failed_entries(session)
        assert failed.id == bad and "unknown action" in (failed.last_error or "")
        assert inbox.depth(session).failed_entries == 1
    # Repaired and requeued by an operator, it is applied.
    with session_scope(db) as session:
        session.execute(
            update(InboxEntry)
            .where(InboxEntry.id == bad)
            .values(
                events=[{"identity": "b-id", "action": "firing", "summary": "b", "source": "x"}]
            )
        )
    assert run_transaction(db, lambda s: inbox.retry_failed(s, bad)) == 1
    drain(db)
    assert count(db, Alert) == 3 and count(db, InboxEntry) == 0


def _writer(engine: Engine, factory: sessionmaker[Session]) -> IntakeWriter:
    """Built as the app builds it: the driver-level path on PostgreSQL."""
    postgres = PostgresInbox(engine, factory) if engine.dialect.name == "postgresql" else None
    return IntakeWriter(factory, postgres=postgres)


def test_writer_group_commits_concurrent_requests(
    db: sessionmaker[Session], engine: Engine
) -> None:
    """Many concurrent requests are stored by fewer commits, each answered with its own id."""
    writer = _writer(engine, db)
    bodies = [am_webhook([am_alert(instance=f"h{i}")], group_key=f"g{i}") for i in range(200)]

    async def send_all() -> list[int | None]:
        return await asyncio.gather(*(writer.submit(_am(b)) for b in bodies))

    try:
        ids = asyncio.run(send_all())
    finally:
        writer.close()
    assert len(set(ids)) == 200 and None not in ids
    assert writer.requests == 200 and writer.batches < 200
    assert count(db, InboxEntry) == 200
    drain(db)
    assert count(db, Alert) == 200 and count(db, Incident) == 200


def test_writer_failure_answers_every_request_and_stores_nothing(tmp_path: Path) -> None:
    """When the commit fails, each waiting request gets the error; nothing is half-stored."""
    broken = make_sessionmaker(make_engine(f"sqlite:///{tmp_path}/missing-dir/x.db"))
    writer = IntakeWriter(broken)
    event = _am(am_webhook([am_alert()]))

    async def send() -> list[Any]:
        return await asyncio.gather(
            *(writer.submit(event) for _ in range(5)), return_exceptions=True
        )

    try:
        answers = asyncio.run(send())
    finally:
        writer.close()
    assert len(answers) == 5 and all(isinstance(a, Exception) for a in answers)


def test_two_appliers_never_apply_the_same_entry(db: sessionmaker[Session]) -> None:
    """Appliers racing in two threads apply every entry exactly once, in order."""
    for i in range(40):
        _accept(db, _am(am_webhook([am_alert(instance=f"h{i}")], group_key=f"g{i % 4}")))
    errors = run_together(lambda _: drain(db), 2).errors
    assert errors == []
    assert count(db, InboxEntry) == 0 and count(db, Alert) == 40 and count(db, Incident) == 4


def test_cli_status_and_retry(
    db: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``plantao inbox status`` lists failed entries with their error; ``retry`` requeues."""
    from typer.testing import CliRunner

    from plantao.cli.app import app
    from plantao.config import get_settings

    bad = _accept(db, _am(am_webhook([am_alert()])))[0]
    assert bad is not None
    run_transaction(db, lambda s: inbox.mark_failed(s, bad, "KeyError: 'x'"))
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        shown = runner.invoke(app, ["inbox", "status"])
        assert shown.exit_code == 0, shown.output
        assert "failed: 1" in shown.output and f"#{bad} alertmanager" in shown.output
        assert "KeyError: 'x'" in shown.output
        assert runner.invoke(app, ["inbox", "retry", str(bad)]).output.strip() == "requeued 1"
        missing = runner.invoke(app, ["inbox", "retry", str(bad)])
        assert missing.exit_code == 1 and "no failed inbox entry" in missing.output
    finally:
        get_settings.cache_clear()
    drain(db)
    assert count(db, Alert) == 1


def test_writer_sees_new_keys_and_answers_none_for_unknown(
    db: sessionmaker[Session], engine: Engine
) -> None:
    """A key added by a configuration change is accepted at once; an unknown key gets None."""
    from tests.factories.config import STANDARD

    writer = _writer(engine, db)
    events = _am(am_webhook([am_alert()])).events
    try:
        assert (
            asyncio.run(writer.submit(Submission("later-key-0123456789ab", "generic", events)))
            is None
        )
        extra = STANDARD.replace(
            "integrations:",
            "integrations:\n  - {slug: later, name: Later, kind: generic, service: checkout, "
            "key: later-key-0123456789ab}",
            1,
        )
        with session_scope(db) as session:
            config_service.apply(session, load_text(extra))
        entry = asyncio.run(writer.submit(Submission("later-key-0123456789ab", "generic", events)))
        assert isinstance(entry, int)
        first, second = asyncio.run(_two(writer, events))
        assert first is not None and second is not None and first < second
    finally:
        writer.close()


async def _two(writer: IntakeWriter, events: Any) -> tuple[int | None, int | None]:
    first = await writer.submit(Submission(AM_KEY, "alertmanager", events))
    second = await writer.submit(Submission(AM_KEY, "alertmanager", events))
    return first, second
