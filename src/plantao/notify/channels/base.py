"""What every channel agrees on: the message, the target and the three possible outcomes.

Channels only transport: texts are rendered before they get here (templates live elsewhere),
and the decision what to do with an outcome (retry with backoff, dead-letter, mark delivered)
belongs to the delivery job. A channel never raises for a delivery problem; it *classifies* it,
because only the channel knows whether "429" or "SMTP 451" is worth another try.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = [
    "ActionLink",
    "Channel",
    "ContactTarget",
    "Delivered",
    "DeliveryOutcome",
    "OutgoingMessage",
    "PermanentFailure",
    "RetryableFailure",
]


@dataclass(frozen=True)
class ActionLink:
    """A button or link in the message (``action`` e.g. "ack"; ``url`` already signed)."""

    action: str
    label: str
    url: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A fully rendered notification.

    ``idempotency_key`` is stable across retries of the same outbox row, so receivers (and
    our Message-ID) can collapse duplicates when a retry follows a delivery we did not see
    confirmed. ``created_at`` (when the outbox row was written) becomes the e-mail Date header.
    """

    subject: str
    text: str
    incident_ref: str
    severity: str
    idempotency_key: str
    html: str | None = None
    links: tuple[ActionLink, ...] = ()
    created_at: datetime | None = None


@dataclass(frozen=True)
class ContactTarget:
    """Where to deliver: an e-mail address or a webhook URL, plus per-target settings.

    ``secret`` signs generic webhooks; it is kept out of ``repr`` so it never reaches logs.
    """

    address: str
    contact_id: str | None = None
    name: str | None = None
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Delivered:
    """The receiver accepted the message (``provider_id``: its id, when it gives one)."""

    provider_id: str | None = None


@dataclass(frozen=True)
class RetryableFailure:
    """Worth another try later (timeouts, 5xx, throttling); ``retry_after`` is a floor."""

    reason: str
    retry_after: timedelta | None = None


@dataclass(frozen=True)
class PermanentFailure:
    """Retrying cannot help (bad address, 4xx, rejected content): dead-letter it."""

    reason: str


DeliveryOutcome = Delivered | RetryableFailure | PermanentFailure


@runtime_checkable
class Channel(Protocol):
    """Transport for one kind of contact method."""

    name: str

    async def send(self, message: OutgoingMessage, target: ContactTarget) -> DeliveryOutcome:
        """Deliver ``message`` to ``target`` once and classify what happened."""
        ...
