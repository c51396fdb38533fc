"""An e-mail subscriber confirmed through the double opt-in receives each published update once:
a real ``plantao serve`` with a real SMTP server (aiosmtpd), the public form over HTTP, the
confirmation link read from the e-mail, then a publication and two updates through the API."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    AM_KEY,
    BACKENDS,
    PlantaoServer,
    _Started,
    free_port,
    start_plantao,
    stop_plantao,
)
from tests.e2e.test_alertmanager import wait_for
from tests.e2e.test_browser import open_incident
from tests.factories.notify import SmtpSink

pytestmark = pytest.mark.e2e

CONFIG = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana]}]
users: [{handle: ana, name: Ana, email: ana@example.com}]
services:
  - {slug: platform, name: Platform, team: sre}
integrations:
  - {slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: AMKEY}
"""
SUBSCRIBER = "reader@example.org"


@pytest.fixture(params=BACKENDS)
def stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[PlantaoServer, SmtpSink]]:
    smtp = SmtpSink(free_port()).start()
    started: _Started | None = None
    env = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp.port),
        "PLANTAO_SMTP_FROM": "status@plantao.test",
    }
    try:
        config = CONFIG.replace("AMKEY", AM_KEY)
        started = start_plantao(str(request.param), tmp_path / "plantao", config, env)
        yield started.server, smtp
    finally:
        if started is not None:
            stop_plantao(started)
        smtp.stop()


def _text(mail: Message) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


def _to(smtp: SmtpSink, address: str) -> list[Message]:
    return [m for m in smtp.messages if m["To"] == address]


def _subscribe(server: PlantaoServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10.0) as web:
        form = web.get("/status/subscribe")
        assert form.status_code == 200, form.text
        match = re.search(r'name="form_token" value="([^"]+)"', form.text)
        assert match
        sent = web.post(
            "/status/subscribe",
            data={"email": SUBSCRIBER, "form_token": match.group(1), "website": ""},
        )
        assert sent.status_code == 200 and "Check your inbox" in sent.text


def _confirm(server: PlantaoServer, mail: Message) -> None:
    link = re.search(r"https?://\S+/status/confirm\?token=\S+", _text(mail))
    assert link, _text(mail)
    parts = urlsplit(link.group(0))
    with httpx.Client(base_url=server.base_url, timeout=10.0) as web:
        shown = web.get(f"{parts.path}?{parts.query}")
        assert shown.status_code == 200 and 'name="token"' in shown.text
        done = web.post(f"{parts.path}?{parts.query}")
        assert done.status_code == 200 and "Subscribed" in done.text, done.text


def test_confirmed_subscriber_receives_each_published_update_once(
    stack: tuple[PlantaoServer, SmtpSink],
) -> None:
    """Subscribe, confirm from the e-mail's link, publish and post two updates: three update
    e-mails arrive, one per update, each with an unsubscribe link and nothing internal."""
    server, smtp = stack
    _subscribe(server)
    try:
        wait_for("the confirmation", lambda: _to(smtp, SUBSCRIBER) or None)
    except AssertionError:
        raise AssertionError(server.log_tail()) from None
    [confirmation] = _to(smtp, SUBSCRIBER)
    assert "Confirm" in confirmation["Subject"]
    _confirm(server, confirmation)
    ref = open_incident(server)
    with server.client() as api:
        made = api.post(
            f"/api/v1/incidents/{ref}/publish",
            json={"title": "Checkout is failing", "body": "We are investigating errors."},
        )
        assert made.status_code == 201, made.text
        public_id = made.json()["incident"]
        for status, body in (("identified", "A bad release."), ("resolved", "Rolled back.")):
            res = api.post(
                f"/api/v1/public-incidents/{public_id}/updates",
                json={"status": status, "body": body},
            )
            assert res.status_code == 201, res.text
    try:
        wait_for("three updates", lambda: len(_to(smtp, SUBSCRIBER)) >= 4 or None, timeout=60)
    except AssertionError:
        raise AssertionError(server.log_tail()) from None
    time.sleep(3)  # a duplicate would arrive within the engine's next cycles
    # The delivery step sends concurrently: the e-mails may arrive in any order.
    updates = {str(m["Subject"]): m for m in _to(smtp, SUBSCRIBER)[1:]}
    assert len(_to(smtp, SUBSCRIBER)) == 4
    expected = {
        "[Status] Checkout is failing: Investigating": "investigating errors",
        "[Status] Checkout is failing: Identified": "A bad release",
        "[Status] Checkout is failing: Resolved": "Rolled back",
    }
    assert sorted(updates) == sorted(expected)
    for subject, words in expected.items():
        mail = updates[subject]
        text = _text(mail)
        assert words in text
        assert "/status/unsubscribe?token=" in text
        assert f"/status/incidents/{public_id}" in text
        assert ref not in text and ref not in str(mail["X-Plantao-Incident"])
