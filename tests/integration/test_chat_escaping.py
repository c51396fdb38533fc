"""A hostile alert title paged through real loopback chat webhooks pings nobody, forges nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao.config import Settings
from plantao.engine.delivery_step import DeliveryStep
from plantao.notify.specs import ContactMethodSpec
from tests.factories.config import apply_standard
from tests.factories.notify import WebhookReceiver, deliver, give_contacts, open_incidents, page

# The title from the report: a channel-wide ping and a link dressed as our Acknowledge button.
ATTACK = "<!channel> disk full <https://evil.example|Acknowledge> [Resolve](https://evil.example)"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


def _texts(payload: Any) -> list[str]:
    if isinstance(payload, str):
        return [payload]
    if isinstance(payload, dict):
        return [t for v in payload.values() for t in _texts(v)]
    if isinstance(payload, list):
        return [t for v in payload for t in _texts(v)]
    return []


def test_hostile_title_reaches_slack_mattermost_and_teams_inert(
    factory: sessionmaker[Session], frozen: datetime, receiver: WebhookReceiver
) -> None:
    """Posted chat bodies carry no <!channel>, no attacker link; buttons are our signed links."""
    apply_standard(factory)
    give_contacts(
        factory,
        [
            ContactMethodSpec("slack", "slack", f"{receiver.url}/slack"),
            ContactMethodSpec("mattermost", "mattermost", f"{receiver.url}/mattermost"),
            ContactMethodSpec("teams", "teams", f"{receiver.url}/teams"),
        ],
    )
    step = DeliveryStep(Settings(env="test"))
    [incident] = open_incidents(factory, 1, title=ATTACK)
    page(factory, [incident])
    try:
        assert deliver(step, factory) == 3
    finally:
        step.close()
    assert len(receiver.bodies) == 3
    for raw in receiver.bodies:
        body = raw.decode()
        assert "<!channel>" not in body
        assert "<https://evil.example" not in body
        payload = json.loads(body)
        links = [
            t
            for t in _texts(payload)
            if t.startswith(("http://", "https://")) and "adaptivecards.io/schemas" not in t
        ]
        # The only URLs that are fields of their own (buttons, actions) are our signed links.
        assert links and all("/a/" in url and "evil" not in url for url in links)
        if "blocks" in payload:  # Slack and Mattermost: one payload, text rendered as Markdown
            assert "&lt;!channel&gt; disk full" in payload["blocks"][1]["text"]["text"]
            assert "](https://evil.example" not in payload["text"]
            buttons = payload["blocks"][-1]["elements"]
            assert {b["text"]["text"] for b in buttons} >= {"Acknowledge"}
        else:  # Teams Adaptive Card
            for text in _texts(payload):
                assert "](https://evil.example" not in text
