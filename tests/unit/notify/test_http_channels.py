"""Webhook, Slack and Teams channels against a real local HTTP server."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from plantao.notify.channels.base import (
    ActionLink,
    Channel,
    ContactTarget,
    Delivered,
    DeliveryOutcome,
    OutgoingMessage,
    PermanentFailure,
    RetryableFailure,
)
from plantao.notify.channels.slack import SlackChannel
from plantao.notify.channels.teams import TeamsChannel
from plantao.notify.channels.webhook import WebhookChannel
from plantao.notify.signing import SIGNATURE_HEADER, verify_signature

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
SECRET = "whsec_local"

MESSAGE = OutgoingMessage(
    subject="[Sev1] INC-42 API 5xx > 20%",
    text="Checkout API returns 5xx for 23% of requests.",
    incident_ref="INC-42",
    severity="sev1",
    idempotency_key="outbox-991",
    html="<p>Checkout API returns 5xx</p>",
    links=(
        ActionLink("ack", "Acknowledge", "https://plantao.example/a/tok1"),
        ActionLink("resolve", "Resolve", "https://plantao.example/a/tok2"),
    ),
    created_at=NOW,
)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Server:
    """A stdlib HTTP server whose path decides the answer: /200, /500, /404, /slow..."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                outer.requests.append(Received(self.path, dict(self.headers.items()), body))
                if self.path == "/slow":
                    outer.release.wait(5)
                    status = 200
                else:
                    status = int(self.path.strip("/").split("/")[0])
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "7")
                if status == 302:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                reply = b"ok" if status < 300 else b"no_service"
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def running_server() -> Iterator[Server]:
    srv = Server()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.httpd.shutdown()
        srv.httpd.server_close()


@pytest.fixture
def server(running_server: Server) -> Server:
    """The shared server with an empty request log."""
    running_server.requests.clear()
    return running_server


def send(channel: Channel, url: str, secret: str | None = SECRET) -> DeliveryOutcome:
    return asyncio.run(channel.send(MESSAGE, ContactTarget(url, "contact-1", secret=secret)))


def webhook() -> WebhookChannel:
    return WebhookChannel(timeout=2.0, now=lambda: NOW)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- generic webhook ---------------------------------------------------------------------


def test_webhook_posts_signed_json_with_idempotency_key(server: Server) -> None:
    """The receiver gets JSON whose X-Plantao-Signature verifies over the raw body."""
    assert send(webhook(), server.url("/200")) == Delivered()
    (request,) = server.requests
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "outbox-991"
    header = request.headers[SIGNATURE_HEADER]
    assert header.startswith(f"t={int(NOW.timestamp())},v1=")
    assert verify_signature(SECRET, request.body, header, NOW) == int(NOW.timestamp())
    payload = json.loads(request.body)
    assert payload["incident"] == {"ref": "INC-42", "severity": "sev1"}
    assert payload["links"][0] == {
        "action": "ack",
        "label": "Acknowledge",
        "url": "https://plantao.example/a/tok1",
    }
    assert payload["idempotency_key"] == "outbox-991"


def test_webhook_signature_fails_with_another_secret(server: Server) -> None:
    """A receiver holding a different secret rejects the request."""
    send(webhook(), server.url("/200"))
    request = server.requests[0]
    with pytest.raises(ValueError, match="does not match"):
        verify_signature("not-the-secret", request.body, request.headers[SIGNATURE_HEADER], NOW)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/200", Delivered),
        ("/202", Delivered),
        ("/500", RetryableFailure),
        ("/503", RetryableFailure),
        ("/408", RetryableFailure),
        ("/404", PermanentFailure),
        ("/400", PermanentFailure),
        ("/302", PermanentFailure),
    ],
)
def test_webhook_status_classification(server: Server, path: str, kind: type) -> None:
    """2xx is delivered, 408/5xx retryable, other 4xx and redirects permanent."""
    assert isinstance(send(webhook(), server.url(path)), kind)


def test_webhook_redirect_is_not_followed(server: Server) -> None:
    """A 302 is reported, and the signed payload is not sent to the new location."""
    outcome = send(webhook(), server.url("/302"))
    assert isinstance(outcome, PermanentFailure)
    assert len(server.requests) == 1


def test_webhook_429_keeps_retry_after(server: Server) -> None:
    """Throttling is retryable and carries the server's Retry-After as a floor."""
    outcome = send(webhook(), server.url("/429"))
    assert outcome == RetryableFailure("HTTP 429: no_service", retry_after=timedelta(seconds=7))


def test_webhook_timeout_is_retryable(server: Server) -> None:
    """A receiver slower than the timeout yields a retryable failure."""
    channel = WebhookChannel(timeout=0.3, now=lambda: NOW)
    outcome = send(channel, server.url("/slow"))
    assert isinstance(outcome, RetryableFailure)
    assert "timed out" in outcome.reason


def test_webhook_connection_refused_is_retryable() -> None:
    """Nobody listening on the port is a retryable failure."""
    outcome = send(webhook(), f"http://127.0.0.1:{closed_port()}/hook")
    assert isinstance(outcome, RetryableFailure)


def test_webhook_bad_url_or_missing_secret_is_permanent() -> None:
    """A non-HTTP URL or a target without secret cannot succeed by retrying."""
    assert isinstance(send(webhook(), "ftp://example.invalid/x"), PermanentFailure)
    assert isinstance(send(webhook(), "http://127.0.0.1:1/x", secret=None), PermanentFailure)


# --- Slack / Mattermost ------------------------------------------------------------------


def test_slack_payload_has_blocks_buttons_and_full_text(server: Server) -> None:
    """Slack gets header/section/context/actions blocks; text holds everything for Mattermost."""
    outcome = send(SlackChannel(timeout=2.0), server.url("/200"), secret=None)
    assert outcome == Delivered()
    payload = json.loads(server.requests[0].body)
    types = [block["type"] for block in payload["blocks"]]
    assert types == ["header", "section", "context", "actions"]
    assert payload["blocks"][0]["text"]["text"] == "[Sev1] INC-42 API 5xx &gt; 20%"
    buttons = payload["blocks"][3]["elements"]
    assert [b["url"] for b in buttons] == [link.url for link in MESSAGE.links]
    assert "[Sev1] INC-42 API 5xx &gt; 20%" in payload["text"]
    assert "[Acknowledge](https://plantao.example/a/tok1)" in payload["text"]
    assert server.requests[0].headers["Idempotency-Key"] == "outbox-991"
    assert SIGNATURE_HEADER not in server.requests[0].headers


def test_slack_error_statuses_are_classified(server: Server) -> None:
    """Slack's 404 channel_not_found is permanent and a 500 retryable."""
    slack = SlackChannel(timeout=2.0)
    assert isinstance(send(slack, server.url("/404"), secret=None), PermanentFailure)
    assert isinstance(send(slack, server.url("/500"), secret=None), RetryableFailure)


def test_slack_truncates_long_headers(server: Server) -> None:
    """A subject over Slack's 150-character header limit is cut with an ellipsis."""
    long = OutgoingMessage("x" * 400, "body", "INC-1", "sev3", "k")
    asyncio.run(SlackChannel().send(long, ContactTarget(server.url("/200"))))
    header = json.loads(server.requests[0].body)["blocks"][0]["text"]["text"]
    assert len(header) == 150
    assert header.endswith("…")


# --- Microsoft Teams ---------------------------------------------------------------------


def test_teams_posts_an_adaptive_card(server: Server) -> None:
    """The default Teams payload is a message envelope with one Adaptive Card."""
    assert send(TeamsChannel(timeout=2.0), server.url("/202"), secret=None) == Delivered()
    payload = json.loads(server.requests[0].body)
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == "[Sev1] INC-42 API 5xx &gt; 20%"
    assert card["body"][0]["color"] == "attention"
    assert [a["url"] for a in card["actions"]] == [link.url for link in MESSAGE.links]


def test_teams_can_post_a_legacy_message_card(server: Server) -> None:
    """card='messagecard' sends the connector MessageCard format."""
    send(TeamsChannel(card="messagecard"), server.url("/200"), secret=None)
    payload = json.loads(server.requests[0].body)
    assert payload["@type"] == "MessageCard"
    assert payload["potentialAction"][0]["targets"][0]["uri"] == MESSAGE.links[0].url


def test_teams_error_statuses_are_classified(server: Server) -> None:
    """Teams 400 is permanent and 429 retryable."""
    teams = TeamsChannel(timeout=2.0)
    assert isinstance(send(teams, server.url("/400"), secret=None), PermanentFailure)
    assert isinstance(send(teams, server.url("/429"), secret=None), RetryableFailure)


def test_channels_satisfy_the_protocol() -> None:
    """Webhook, Slack and Teams channels are Channels with distinct names."""
    channels: list[Channel] = [webhook(), SlackChannel(), TeamsChannel()]
    assert all(isinstance(c, Channel) for c in channels)
    assert [c.name for c in channels] == ["webhook", "slack", "teams"]
