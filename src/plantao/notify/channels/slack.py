"""Slack incoming webhooks (Block Kit); Mattermost accepts the same payload.

Slack renders ``blocks`` and uses ``text`` only for the push notification. Mattermost ignores
``blocks`` and renders ``text`` (Markdown), so ``text`` carries the whole message, links
included: one payload serves both. Link buttons are plain URL buttons (no interactivity
endpoint needed); the URLs are signed action links. Slack's block limits (150 characters in a
header, 3000 in a section) are enforced by truncation because Slack rejects the whole payload
otherwise.

Subject and text come from alerts anyone with an integration key can write, so every field
that carries them is escaped (:mod:`plantao.notify.channels.escaping`): Slack's entities in
``blocks``; in ``text`` Markdown escaping as well, since Mattermost renders ``text`` as Markdown
(Slack shows ``text`` only in push notifications, where a stray backslash is the price). The
buttons and the Markdown links in ``text`` are Plantão's own signed URLs, added unescaped.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from plantao.notify.channels import escaping
from plantao.notify.channels.base import ContactTarget, DeliveryOutcome, OutgoingMessage
from plantao.notify.channels.webhook import DEFAULT_TIMEOUT, encode_json, post_json

__all__ = ["SlackChannel", "slack_payload"]

_HEADER_LIMIT = 150
_SECTION_LIMIT = 3000
_MAX_BUTTONS = 5


# An escape sequence cut by truncation ("&am", a lone trailing backslash) is dropped whole.
_PARTIAL_ESCAPE = re.compile(r"(&[a-z]{0,3}|\\)$")


def _clip(text: str, limit: int) -> str:
    """``text`` (already escaped) within ``limit`` characters, never ending mid-escape."""
    if len(text) <= limit:
        return text
    return _PARTIAL_ESCAPE.sub("", text[: limit - 1]) + "…"


def slack_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The incoming-webhook JSON for ``message``; untrusted text escaped, our links live."""
    links_md = " | ".join(
        f"[{escaping.markdown(link.label)}]({link.url})" for link in message.links
    )
    fallback = f"**{escaping.markdown(message.subject)}**\n{escaping.markdown(message.text)}" + (
        f"\n{links_md}" if links_md else ""
    )
    severity = escaping.slack(message.severity)
    incident = escaping.slack(message.incident_ref)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _clip(escaping.slack(message.subject), _HEADER_LIMIT),
            },
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _clip(escaping.slack(message.text), _SECTION_LIMIT),
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"*Severity:* {severity}  *Incident:* {incident}"}
            ],
        },
    ]
    if message.links:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": _clip(link.label, 75)},
                        "url": link.url,
                        "action_id": f"plantao-{link.action}-{index}",
                    }
                    for index, link in enumerate(message.links[:_MAX_BUTTONS])
                ],
            }
        )
    return {"text": fallback, "blocks": blocks}


class SlackChannel:
    """POST to the target's incoming-webhook URL (the URL itself is the credential)."""

    name = "slack"

    def __init__(
        self, *, client: httpx.AsyncClient | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self._client = client
        self._timeout = timeout

    async def send(self, message: OutgoingMessage, target: ContactTarget) -> DeliveryOutcome:
        body = encode_json(slack_payload(message))
        return await post_json(
            target.address,
            body,
            {"Idempotency-Key": message.idempotency_key},
            timeout=self._timeout,
            client=self._client,
        )
