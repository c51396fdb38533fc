"""Microsoft Teams incoming webhooks: Adaptive Card (default) or legacy MessageCard.

Microsoft retired Office 365 connectors in favour of Workflows webhooks, which accept only
Adaptive Cards wrapped in a ``message`` with attachments; old connectors accept that envelope
too, so it is the default. ``card="messagecard"`` keeps the legacy format for servers still on
connectors that predate Adaptive Cards. Workflows answer ``202 Accepted``: any 2xx is delivered.

Both card formats render their text as Markdown and Teams honours some HTML (``<at>`` mentions,
tags in connector cards), so every field carrying alert text is escaped with
:func:`plantao.notify.channels.escaping.markdown`; the ``OpenUrl`` actions are Plantão's own
signed links and stay as they are.
"""

from __future__ import annotations

from typing import Any, Literal

import httpx

from plantao.notify.channels.base import ContactTarget, DeliveryOutcome, OutgoingMessage
from plantao.notify.channels.escaping import markdown
from plantao.notify.channels.webhook import DEFAULT_TIMEOUT, encode_json, post_json

__all__ = ["TeamsChannel", "adaptive_card_payload", "message_card_payload"]

CardFormat = Literal["adaptive", "messagecard"]

_SEVERITY_COLOURS = {"1": "attention", "2": "warning"}


def _severity_colour(severity: str) -> str:
    return _SEVERITY_COLOURS.get(severity.lower().removeprefix("sev"), "default")


def adaptive_card_payload(message: OutgoingMessage) -> dict[str, Any]:
    """A ``message`` envelope holding one Adaptive Card 1.4."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": markdown(message.subject),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
                "color": _severity_colour(message.severity),
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": "Severity", "value": markdown(message.severity)},
                    {"title": "Incident", "value": markdown(message.incident_ref)},
                ],
            },
            {"type": "TextBlock", "text": markdown(message.text), "wrap": True},
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": link.label, "url": link.url}
            for link in message.links
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def message_card_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The legacy connector MessageCard."""
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": markdown(message.subject),
        "title": markdown(message.subject),
        "text": markdown(message.text),
        "sections": [
            {
                "facts": [
                    {"name": "Severity", "value": markdown(message.severity)},
                    {"name": "Incident", "value": markdown(message.incident_ref)},
                ]
            }
        ],
        "potentialAction": [
            {
                "@type": "OpenUri",
                "name": link.label,
                "targets": [{"os": "default", "uri": link.url}],
            }
            for link in message.links
        ],
    }


class TeamsChannel:
    """POST a card to the target's Teams webhook URL."""

    name = "teams"

    def __init__(
        self,
        *,
        card: CardFormat = "adaptive",
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._card = card
        self._client = client
        self._timeout = timeout

    async def send(self, message: OutgoingMessage, target: ContactTarget) -> DeliveryOutcome:
        payload = (
            adaptive_card_payload(message)
            if self._card == "adaptive"
            else message_card_payload(message)
        )
        return await post_json(
            target.address,
            encode_json(payload),
            {"Idempotency-Key": message.idempotency_key},
            timeout=self._timeout,
            client=self._client,
        )
