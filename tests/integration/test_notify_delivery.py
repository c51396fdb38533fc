"""Delivery through real loopback servers: SMTP outage and recovery, a webhook failing forever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.engine.delivery_step import DeliveryStep
from plantao.notify.channels.email import message_id_for
from plantao.notify.signing import verify_signature
from plantao.notify.specs import ContactMethodSpec
from tests.e2e.conftest import free_port
from tests.factories.config import apply_standard
from tests.factories.notify import (
    WEBHOOK_SECRET,
    SmtpSink,
    WebhookReceiver,
    deliver,
    deliveries,
    give_contacts,
    open_incidents,
    page,
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def test_smtp_outage_is_retried_with_backoff_and_delivered_after_recovery(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """SMTP refused twice → retrying with jittered backoff; back up → one mail, text + HTML."""
    apply_standard(factory)
    give_contacts(factory, [ContactMethodSpec("work-email", "email", "ana@example.com")])
    port = free_port()
    settings = Settings(
        env="test",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_from="plantao@plantao.test",
        delivery_timeout_seconds=5,
        delivery_backoff_base_seconds=30,
        delivery_max_attempts=5,
    )
    step = DeliveryStep(settings)
    [incident] = open_incidents(factory, 1)
    page(factory, [incident])
    sink = SmtpSink(port)
    try:
        assert deliver(step, factory) == 1
        [row] = deliveries(factory)
        assert row.state == "retrying" and row.attempts == 1
        assert "Connect call failed" in (row.last_error or "")
        assert clock.now() <= row.next_attempt_at <= clock.now() + timedelta(seconds=30)
        clock.advance(timedelta(seconds=30))
        assert deliver(step, factory) == 1
        [row] = deliveries(factory)
        assert row.state == "retrying" and row.attempts == 2
        assert row.next_attempt_at <= clock.now() + timedelta(seconds=60)
        sink.start()
        clock.advance(timedelta(seconds=60))
        assert deliver(step, factory) == 1
        [row] = deliveries(factory)
        assert row.state == "sent" and row.attempts == 3 and row.sent_at == clock.now()
        [mail] = sink.messages
        assert mail["Message-ID"] == message_id_for(row.idempotency_key, "plantao@plantao.test")
        assert mail["To"] == "work-email <ana@example.com>"
        assert mail["Subject"] == row.subject
        kinds = [part.get_content_type() for part in mail.walk()]
        assert "text/plain" in kinds and "text/html" in kinds
        clock.advance(timedelta(hours=1))
        assert deliver(step, factory) == 0
        assert len(sink.messages) == 1
    finally:
        step.close()
        sink.stop()


def test_webhook_failing_forever_goes_dead_while_others_are_delivered(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """A 500-forever endpoint is dead after the attempt limit; a healthy one gets one message."""
    apply_standard(factory)
    receiver.statuses["/bad"] = 500
    give_contacts(
        factory,
        [
            ContactMethodSpec("bad", "webhook", f"{receiver.url}/bad", WEBHOOK_SECRET),
            ContactMethodSpec("good", "webhook", f"{receiver.url}/good", WEBHOOK_SECRET),
        ],
    )
    settings = Settings(env="test", delivery_max_attempts=3, delivery_backoff_base_seconds=10)
    step = DeliveryStep(settings)
    incidents = open_incidents(factory, 2)
    page(factory, incidents)
    try:
        assert deliver(step, factory) == 4
        by_contact = {(r.incident_id, r.contact_method_id): r.state for r in deliveries(factory)}
        assert sorted(by_contact.values()) == ["retrying", "retrying", "sent", "sent"]
        assert len(receiver.keys) == 2
        for _ in range(5):
            clock.advance(timedelta(minutes=5))
            deliver(step, factory)
        rows = deliveries(factory)
        dead = [r for r in rows if r.state == "dead"]
        assert len(dead) == 2 and all(r.attempts == 3 for r in dead)
        assert all("gave up after 3 attempts: HTTP 500" in (r.last_error or "") for r in dead)
        assert sorted(receiver.counts().values()) == [1, 1]
        verify_signature(
            WEBHOOK_SECRET,
            receiver.bodies[0],
            receiver.signatures[0],
            clock.now(),
            tolerance=timedelta(hours=1),  # signed 25 frozen minutes ago
        )
    finally:
        step.close()
