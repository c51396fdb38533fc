"""A real ``plantao serve`` drafts the handoff of an hourly schedule; in Chromium an admin adds
notes and presses "Send now"; the engine delivers it to a real SMTP server (aiosmtpd, the
incoming person's e-mail) and a real webhook receiver (the team channel), once each."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer, _Started, free_port, start_plantao, stop_plantao
from tests.e2e.test_browser import browser, log_in, page  # noqa: F401 - fixtures
from tests.e2e.ui_harness import check_page
from tests.factories.notify import WEBHOOK_SECRET, SmtpSink, WebhookReceiver, wait_until

pytestmark = pytest.mark.e2e


def _config(webhook: str) -> str:
    return f"""
version: 1
teams:
  - slug: sre
    name: SRE
    members: [ana, bruno]
    stakeholders:
      - {{name: sre-chat, kind: webhook, address: '{webhook}', secret: {WEBHOOK_SECRET}}}
users:
  - handle: ana
    name: Ana
    contact_methods: [{{name: mail, type: email, address: ana@example.com}}]
    notification_rules: [{{contact: mail, after: 0m}}]
  - handle: bruno
    name: Bruno
    contact_methods: [{{name: mail, type: email, address: bruno@example.com}}]
    notification_rules: [{{contact: mail, after: 0m}}]
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: hourly-first}}
schedules:
  - slug: hourly
    name: Hourly desk
    layers:
      - name: desk
        rotation: {{type: hourly, start: 2026-12-01, handoff: "00:00", participants: [ana, bruno]}}
escalation_policies:
  - slug: hourly-first
    name: Hourly first
    steps:
      - {{delay: 0m, targets: [{{schedule: hourly}}]}}
handoffs: {{lead: 2h, send_after: 15m}}
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PlantaoServer, SmtpSink, WebhookReceiver]]:
    smtp = SmtpSink(free_port()).start()
    receiver = WebhookReceiver().start()
    env = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp.port),
        "PLANTAO_SMTP_FROM": "plantao@plantao.test",
    }
    started: _Started | None = None
    try:
        config = _config(f"{receiver.url}/sre")
        started = start_plantao("sqlite", tmp_path / "plantao", config, env)
        yield started.server, smtp, receiver
    finally:
        if started is not None:
            stop_plantao(started)
        receiver.stop()
        smtp.stop()


def _drafts(server: PlantaoServer) -> list[dict[str, Any]]:
    with server.client() as client:
        res = client.get("/api/v1/handoffs", params={"schedule": "hourly"})
        res.raise_for_status()
        return [h for h in res.json() if h["status"] == "draft"]


def test_admin_adds_notes_and_sends_now_in_the_browser(
    served: tuple[PlantaoServer, SmtpSink, WebhookReceiver],
    page: Any,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """The list and the handoff read well at 390 px; notes typed in the browser are in what the
    incoming person's mailbox and the team channel receive, each exactly once."""
    server, smtp, receiver = served
    wait_until("a drafted handoff", lambda: bool(_drafts(server)), timeout=60.0)
    handoff = min(_drafts(server), key=lambda h: h["handoff_at"])
    log_in(page, server)
    check_page(
        page,
        f"{server.base_url}/handoffs?schedule=hourly",
        expect_text=["Shift handoffs", "Hourly desk", "Draft"],
        out_dir=tmp_path,
    )
    check_page(
        page,
        f"{server.base_url}/handoffs/{handoff['id']}",
        expect_text=["Hourly desk", "Your notes", "Send now", "✅ Stable"],
        out_dir=tmp_path,
    )
    page.fill("#ho-notes", "Database failover rehearsal at 14:00, expect a page.")
    page.click("form[action$='/notes'] button[type=submit]")
    page.wait_for_selector("text=Notes saved.")
    page.click("#ho-send-now")
    page.wait_for_selector("text=It goes out within seconds.")
    incoming = handoff["incoming"][0]
    wait_until("the mail", lambda: len(smtp.messages) >= 1, timeout=60.0)
    wait_until("the channel post", lambda: len(receiver.bodies) >= 1, timeout=60.0)
    time.sleep(3)  # anything sent twice would have arrived by now
    [mail] = smtp.messages
    assert parseaddr(str(mail["To"]))[1] == f"{incoming}@example.com"
    [body] = receiver.bodies
    assert "Database failover rehearsal" in json.dumps(json.loads(body))
    page.reload()
    page.wait_for_selector("#ho-state >> text=Sent")
    assert page.locator("#ho-send-now").count() == 0
    assert "sre-chat" in page.inner_text("#ho-recipients")
    assert "Database failover rehearsal" in page.inner_text("#ho-text")
