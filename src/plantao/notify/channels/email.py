"""E-mail over SMTP (aiosmtplib): multipart plain text + HTML.

The Message-ID is derived from the idempotency key, so a retry after an unconfirmed delivery
carries the same Message-ID and mail clients show one message, not two.

Classification: SMTP 5xx replies (and all recipients refused) are permanent; 4xx replies,
timeouts, refused connections and dropped sessions are retryable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from plantao.notify.channels.base import (
    ContactTarget,
    Delivered,
    DeliveryOutcome,
    OutgoingMessage,
    PermanentFailure,
    RetryableFailure,
)

__all__ = ["EmailChannel", "SmtpSettings", "build_email", "message_id_for"]


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the relay. ``starttls``: None upgrades when offered, True requires it."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool | None = None
    use_tls: bool = False
    timeout: float = 30.0
    validate_certs: bool = True


def message_id_for(idempotency_key: str, sender: str) -> str:
    """``<hash@sender-domain>``: stable per idempotency key, unique per sending domain."""
    domain = sender.rpartition("@")[2] or "plantao.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def build_email(message: OutgoingMessage, target: ContactTarget, sender: str) -> EmailMessage:
    """The MIME message: text/plain first, text/html as the preferred alternative."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = (
        Address(display_name=target.name, addr_spec=target.address)
        if target.name
        else target.address
    )
    email["Subject"] = message.subject
    email["Message-ID"] = message_id_for(message.idempotency_key, sender)
    if message.created_at is not None:
        email["Date"] = format_datetime(message.created_at)
    email["X-Plantao-Incident"] = message.incident_ref
    email["X-Plantao-Severity"] = message.severity
    email["Auto-Submitted"] = "auto-generated"
    text = message.text
    if message.links:
        text += "\n\n" + "\n".join(f"{link.label}: {link.url}" for link in message.links)
    email.set_content(text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    return email


def _classify(exc: aiosmtplib.SMTPException) -> DeliveryOutcome:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        reason = f"all recipients refused ({', '.join(str(c) for c in codes)})"
        if codes and all(400 <= code < 500 for code in codes):
            return RetryableFailure(reason)
        return PermanentFailure(reason)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reason = f"SMTP {exc.code}: {exc.message}"
        if 500 <= exc.code < 600:
            return PermanentFailure(reason)
        return RetryableFailure(reason)
    return RetryableFailure(f"SMTP transport error: {type(exc).__name__}: {exc}")


class EmailChannel:
    """Sends each message in its own SMTP session (simple, and a bad session hurts one mail)."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage, target: ContactTarget) -> DeliveryOutcome:
        settings = self.settings
        email = build_email(message, target, settings.sender)
        try:
            await aiosmtplib.send(
                email,
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                start_tls=settings.starttls,
                use_tls=settings.use_tls,
                timeout=settings.timeout,
                validate_certs=settings.validate_certs,
            )
        except aiosmtplib.SMTPException as exc:
            return _classify(exc)
        except (OSError, TimeoutError) as exc:
            return RetryableFailure(f"SMTP connection failed: {type(exc).__name__}: {exc}")
        return Delivered(provider_id=str(email["Message-ID"]))
