"""A fake channel that records what it was asked to send (tests and local demos).

It is the sanctioned fake at the I/O edge: tests of the delivery job and of services assert on
``sent`` instead of patching internals. Outcomes can be scripted to exercise retries and the
dead-letter path.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from plantao.notify.channels.base import ContactTarget, Delivered, DeliveryOutcome, OutgoingMessage

__all__ = ["RecordingChannel", "SentMessage"]


@dataclass(frozen=True)
class SentMessage:
    message: OutgoingMessage
    target: ContactTarget
    outcome: DeliveryOutcome


class RecordingChannel:
    """Returns scripted outcomes in order, then ``Delivered()``; records every call."""

    def __init__(self, name: str = "recording", outcomes: Iterable[DeliveryOutcome] = ()) -> None:
        self.name = name
        self.sent: list[SentMessage] = []
        self._outcomes: deque[DeliveryOutcome] = deque(outcomes)

    def script(self, *outcomes: DeliveryOutcome) -> None:
        """Queue outcomes for the next calls."""
        self._outcomes.extend(outcomes)

    async def send(self, message: OutgoingMessage, target: ContactTarget) -> DeliveryOutcome:
        outcome = self._outcomes.popleft() if self._outcomes else Delivered()
        self.sent.append(SentMessage(message, target, outcome))
        return outcome

    def delivered_to(self, address: str) -> list[OutgoingMessage]:
        """Messages successfully delivered to ``address``."""
        return [
            s.message
            for s in self.sent
            if s.target.address == address and isinstance(s.outcome, Delivered)
        ]
