"""Generic signed webhook (httpx), and the HTTP plumbing the chat channels share.

The body is JSON serialised once; those exact bytes are signed (``X-Plantao-Signature``, see
``plantao.notify.signing`` and ``docs/webhooks.md``) and sent, so the receiver verifies what it
received, not a re-serialisation. ``Idempotency-Key`` lets receivers drop retried duplicates.

Classification (:func:`classify_status`): 2xx delivered; 408, 425, 429 and 5xx retryable
(``Retry-After`` in seconds is kept as a floor); other statuses permanent, including 3xx,
because redirects are not followed (a moved endpoint is a configuration change, and following
redirects would send signed payloads to wherever a compromised endpoint points). Connection
errors and timeouts are retryable; a malformed or non-HTTP URL is permanent.

The generic payload is data for a program, not markup for a chat client: ``subject`` and
``text`` go as they are (alert text included; a receiver that displays them escapes them for
its own format), ``html`` is the autoescaped e-mail body whose links passed ``safe_link``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from plantao import clock
from plantao.notify.channels.base import (
    ContactTarget,
    Delivered,
    DeliveryOutcome,
    OutgoingMessage,
    PermanentFailure,
    RetryableFailure,
)
from plantao.notify.signing import SIGNATURE_HEADER, sign_body

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "WebhookChannel",
    "classify_status",
    "encode_json",
    "post_json",
    "webhook_payload",
]

DEFAULT_TIMEOUT = 10.0
USER_AGENT = "Plantao-Notifier/1"
_RETRYABLE_STATUSES = frozenset({408, 425, 429})
_MAX_REASON_BODY = 200


def encode_json(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the bytes that are signed are the bytes that are sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("Retry-After", "").strip()
    return timedelta(seconds=int(value)) if value.isdigit() else None


def classify_status(response: httpx.Response) -> DeliveryOutcome:
    """Map an HTTP response to an outcome (see the module docstring)."""
    status = response.status_code
    if 200 <= status < 300:
        return Delivered(provider_id=response.headers.get("X-Request-Id"))
    snippet = response.text[:_MAX_REASON_BODY].strip()
    reason = f"HTTP {status}" + (f": {snippet}" if snippet else "")
    if status in _RETRYABLE_STATUSES or status >= 500:
        return RetryableFailure(reason, retry_after=_retry_after(response))
    return PermanentFailure(reason)


async def post_json(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    client: httpx.AsyncClient | None = None,
) -> DeliveryOutcome:
    """POST ``body`` as JSON and classify; never raises for delivery problems."""
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    try:
        if client is None:
            async with httpx.AsyncClient(follow_redirects=False) as own_client:
                response = await own_client.post(
                    url, content=body, headers=all_headers, timeout=timeout
                )
        else:
            response = await client.post(
                url, content=body, headers=all_headers, timeout=timeout, follow_redirects=False
            )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return PermanentFailure(f"invalid webhook URL: {exc}")
    except httpx.TimeoutException as exc:
        return RetryableFailure(f"timed out: {type(exc).__name__}")
    except httpx.TransportError as exc:
        return RetryableFailure(f"transport error: {type(exc).__name__}: {exc}")
    return classify_status(response)


def webhook_payload(message: OutgoingMessage) -> dict[str, Any]:
    """The documented JSON body of a generic webhook (see docs/webhooks.md)."""
    return {
        "type": "plantao.notification",
        "version": 1,
        "idempotency_key": message.idempotency_key,
        "incident": {"ref": message.incident_ref, "severity": message.severity},
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
        "links": [
            {"action": link.action, "label": link.label, "url": link.url} for link in message.links
        ],
        "created_at": None if message.created_at is None else message.created_at.isoformat(),
    }


class WebhookChannel:
    """Signed JSON POST to the target's URL; the target's ``secret`` is the signing key.

    ``now`` supplies the signature timestamp; it defaults to ``plantao.clock.now`` so tests
    that freeze the clock get reproducible signatures.
    """

    name = "webhook"

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._now = now

    async def send(self, message: OutgoingMessage, target: ContactTarget) -> DeliveryOutcome:
        if not target.secret:
            return PermanentFailure("webhook target has no signing secret")
        body = encode_json(webhook_payload(message))
        headers = {
            SIGNATURE_HEADER: sign_body(target.secret, body, self._now()),
            "Idempotency-Key": message.idempotency_key,
        }
        return await post_json(
            target.address, body, headers, timeout=self._timeout, client=self._client
        )
