"""E-mail channel against a real aiosmtpd SMTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from plantao.notify.channels.base import (
    ActionLink,
    Channel,
    ContactTarget,
    Delivered,
    OutgoingMessage,
    PermanentFailure,
    RetryableFailure,
)
from plantao.notify.channels.email import EmailChannel, SmtpSettings, message_id_for

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
MESSAGE = OutgoingMessage(
    subject="[Sev2] INC-7 DLQ > 1%",
    text="Kafka DLQ above 1% for 10 minutes.",
    incident_ref="INC-7",
    severity="sev2",
    idempotency_key="outbox-17",
    html="<p>Kafka DLQ above <b>1%</b></p>",
    links=(ActionLink("ack", "Acknowledge", "https://plantao.example/a/t1"),),
    created_at=NOW,
)
TARGET = ContactTarget("ana@example.org", "contact-3", name="Ana Souza")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Handler:
    """Records accepted mail; scripted replies let tests provoke SMTP errors."""

    rcpt_reply: str = "250 OK"
    data_reply: str = "250 Message accepted"
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.data_reply.startswith("250"):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return self.data_reply


@pytest.fixture
def smtp() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def channel(port: int, timeout: float = 5.0) -> EmailChannel:
    return EmailChannel(
        SmtpSettings(
            host="127.0.0.1",
            port=port,
            sender="plantao@alerts.example.com",
            starttls=False,
            timeout=timeout,
        )
    )


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_mail_is_delivered_as_plain_and_html_alternatives(smtp: tuple[Handler, int]) -> None:
    """The server receives one multipart/alternative mail with text and HTML parts."""
    handler, port = smtp
    outcome = asyncio.run(channel(port).send(MESSAGE, TARGET))
    assert isinstance(outcome, Delivered)
    ((mail_from, rcpt_tos, raw),) = handler.messages
    assert mail_from == "plantao@alerts.example.com"
    assert rcpt_tos == ["ana@example.org"]
    mail = parse(raw)
    assert mail["Subject"] == MESSAGE.subject
    assert mail["To"] == "Ana Souza <ana@example.org>"
    assert mail["X-Plantao-Incident"] == "INC-7"
    assert mail["Date"] == "Mon, 06 May 2024 12:00:00 +0000"
    assert mail.get_content_type() == "multipart/alternative"
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "Kafka DLQ above 1%" in plain.get_content()
    assert "Acknowledge: https://plantao.example/a/t1" in plain.get_content()
    assert "<b>1%</b>" in html.get_content()


def test_message_id_is_derived_from_the_idempotency_key(smtp: tuple[Handler, int]) -> None:
    """A retry of the same outbox row carries the same Message-ID."""
    handler, port = smtp
    first = asyncio.run(channel(port).send(MESSAGE, TARGET))
    again = asyncio.run(channel(port).send(MESSAGE, TARGET))
    ids = [parse(raw)["Message-ID"] for _, _, raw in handler.messages]
    expected = message_id_for("outbox-17", "plantao@alerts.example.com")
    assert ids == [expected, expected]
    assert expected.endswith("@alerts.example.com>")
    assert first == again == Delivered(provider_id=expected)


def test_plain_text_only_message_is_not_multipart(smtp: tuple[Handler, int]) -> None:
    """Without HTML the mail is a single text/plain part."""
    handler, port = smtp
    text_only = OutgoingMessage("Digest", "3 held notifications", "INC-1", "sev3", "k-2")
    asyncio.run(channel(port).send(text_only, ContactTarget("bia@example.org")))
    mail = parse(handler.messages[0][2])
    assert mail.get_content_type() == "text/plain"
    assert mail["Date"] is None


def test_rejected_recipient_is_a_permanent_failure(smtp: tuple[Handler, int]) -> None:
    """A 550 for the recipient cannot succeed by retrying."""
    handler, port = smtp
    handler.rcpt_reply = "550 5.1.1 No such user"
    outcome = asyncio.run(channel(port).send(MESSAGE, TARGET))
    assert isinstance(outcome, PermanentFailure)
    assert "550" in outcome.reason
    assert handler.messages == []


def test_greylisting_is_retryable(smtp: tuple[Handler, int]) -> None:
    """A 451 temporary refusal of the recipient is retryable."""
    handler, port = smtp
    handler.rcpt_reply = "451 4.7.1 Greylisted, try later"
    outcome = asyncio.run(channel(port).send(MESSAGE, TARGET))
    assert isinstance(outcome, RetryableFailure)


def test_temporary_data_failure_is_retryable(smtp: tuple[Handler, int]) -> None:
    """A 452 after DATA (mailbox full for now) is retryable."""
    handler, port = smtp
    handler.data_reply = "452 4.3.1 Insufficient system storage"
    outcome = asyncio.run(channel(port).send(MESSAGE, TARGET))
    assert isinstance(outcome, RetryableFailure)
    assert "452" in outcome.reason


def test_permanent_data_failure_is_permanent(smtp: tuple[Handler, int]) -> None:
    """A 554 after DATA (content rejected) is permanent."""
    handler, port = smtp
    handler.data_reply = "554 5.7.1 Rejected"
    assert isinstance(asyncio.run(channel(port).send(MESSAGE, TARGET)), PermanentFailure)


def test_connection_refused_is_retryable() -> None:
    """No SMTP server listening is a retryable failure, not an exception."""
    outcome = asyncio.run(channel(free_port()).send(MESSAGE, TARGET))
    assert isinstance(outcome, RetryableFailure)


def test_silent_server_times_out_as_retryable() -> None:
    """A server that accepts TCP but never greets is retryable after the timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        accepted: list[socket.socket] = []
        acceptor = threading.Thread(target=lambda: accepted.append(listener.accept()[0]))
        acceptor.start()
        outcome = asyncio.run(channel(port, timeout=0.3).send(MESSAGE, TARGET))
        acceptor.join(2)
        for conn in accepted:
            conn.close()
    assert isinstance(outcome, RetryableFailure)


def test_email_channel_satisfies_the_protocol() -> None:
    """EmailChannel is a Channel named 'email' and keeps the password out of repr."""
    settings = SmtpSettings("smtp.example", 587, "p@example", "user", "hunter2", starttls=True)
    assert isinstance(EmailChannel(settings), Channel)
    assert EmailChannel(settings).name == "email"
    assert "hunter2" not in repr(settings)
