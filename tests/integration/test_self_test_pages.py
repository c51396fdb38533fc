"""'Send a test page to yourself': real deliveries to aiosmtpd and a webhook receiver through
the engine's delivery step, and the per-method result read back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine.delivery_step import DeliveryStep
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec
from plantao.oncall import self_test_pages
from tests.e2e.conftest import free_port
from tests.factories.config import apply_standard
from tests.factories.notify import (
    WEBHOOK_SECRET,
    SmtpSink,
    WebhookReceiver,
    deliver,
    give_contacts,
    user_id,
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def _send(factory: sessionmaker[Session]) -> int:
    return run_transaction(
        factory, lambda s: self_test_pages.send(s, user_id(s), requested_by="ana")
    )


def _result(factory: sessionmaker[Session], page_id: int) -> self_test_pages.TestPageResult:
    return run_transaction(factory, lambda s: self_test_pages.result(s, page_id))


def test_test_page_reaches_smtp_and_webhook_and_shows_delivered(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """One delivery per contact method (even one no rule uses); both arrive; both delivered."""
    apply_standard(factory)
    port = free_port()
    give_contacts(
        factory,
        [
            ContactMethodSpec("mail", "email", "ana@example.com"),
            ContactMethodSpec("hook", "webhook", f"{receiver.url}/hook", WEBHOOK_SECRET),
        ],
        rules=[NotificationRuleSpec("mail")],
    )
    settings = Settings(
        env="test", smtp_host="127.0.0.1", smtp_port=port, smtp_from="plantao@plantao.test"
    )
    sink = SmtpSink(port).start()
    step = DeliveryStep(settings)
    try:
        page_id = _send(factory)
        before = _result(factory, page_id)
        assert [m.status for m in before.methods] == ["pending", "pending"]
        assert before.status == "pending"
        assert deliver(step, factory) == 2
        after = _result(factory, page_id)
        assert {m.contact_method: m.status for m in after.methods} == {
            "mail": "delivered",
            "hook": "delivered",
        }
        assert after.status == "delivered"
        assert all(m.sent_at == clock.now() and m.error is None for m in after.methods)
        [mail] = sink.messages
        assert "Test page" in mail["Subject"]
        assert len(receiver.bodies) == 1 and b"Test page" in receiver.bodies[0]
    finally:
        step.close()
        sink.stop()


def test_failing_endpoint_shows_failed_with_its_error(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """A webhook answering 500 ends failed with the channel's error; the good one delivered."""
    apply_standard(factory)
    receiver.statuses["/bad"] = 500
    give_contacts(
        factory,
        [
            ContactMethodSpec("bad", "webhook", f"{receiver.url}/bad", WEBHOOK_SECRET),
            ContactMethodSpec("good", "webhook", f"{receiver.url}/good", WEBHOOK_SECRET),
        ],
    )
    step = DeliveryStep(Settings(env="test", delivery_max_attempts=2))
    try:
        page_id = _send(factory)
        deliver(step, factory)
        first = {m.contact_method: m for m in _result(factory, page_id).methods}
        assert first["good"].status == "delivered"
        assert first["bad"].status == "pending" and "HTTP 500" in (first["bad"].error or "")
        clock.advance(timedelta(minutes=10))
        deliver(step, factory)
        final = _result(factory, page_id)
        bad = {m.contact_method: m for m in final.methods}["bad"]
        assert bad.status == "failed" and bad.attempts == 2
        assert "HTTP 500" in (bad.error or "")
        assert final.status == "failed"
    finally:
        step.close()


def test_one_test_page_a_minute(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A second test page within a minute is a Conflict and writes nothing; after it, allowed."""
    apply_standard(factory)
    give_contacts(factory, [ContactMethodSpec("mail", "email", "ana@example.com")])
    first = _send(factory)
    clock.advance(timedelta(seconds=30))
    with pytest.raises(Conflict, match="try again in 30 s"):
        _send(factory)
    clock.advance(timedelta(seconds=30))
    second = _send(factory)
    assert second != first
    assert len(_result(factory, second).methods) == 1


def test_no_contact_method_is_refused(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Someone with no contact method gets a validation error, and no test page is stored."""
    apply_standard(factory)
    with pytest.raises(ValidationFailed, match="no contact method"):
        _send(factory)
    latest = run_transaction(factory, lambda s: self_test_pages.latest(s, user_id(s)))
    assert latest is None


def test_someone_else_s_test_page_is_not_found(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Reading a test page as another user answers NotFound (no leak of contact details)."""
    apply_standard(factory)
    give_contacts(factory, [ContactMethodSpec("mail", "email", "ana@example.com")])
    page_id = _send(factory)
    with pytest.raises(NotFound):
        run_transaction(
            factory, lambda s: self_test_pages.result(s, page_id, user_id=user_id(s) + 1000)
        )
