"""A status update posted in a real browser reaches the stakeholders added on the stakeholders
page, once each and in their language: an English e-mail list through a real SMTP server
(aiosmtpd) and a Portuguese Mattermost-style channel through a loopback webhook receiver."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from tests.e2e.test_browser import browser, log_in, open_incident, page  # noqa: F401 - fixtures
from tests.e2e.ui_harness import check_page
from tests.factories.notify import SmtpSink, WebhookReceiver

pytestmark = pytest.mark.e2e

CONFIG = f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users: [{{handle: ana, name: Ana, email: ana@example.com}}]
services:
  - {{slug: platform, name: Platform, team: sre}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {AM_KEY}}}
severity_matrix:
  default: sev1
"""


@dataclass
class Stack:
    server: PlantaoServer
    smtp: SmtpSink
    hooks: WebhookReceiver


@pytest.fixture(params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    smtp = SmtpSink(free_port()).start()
    hooks = WebhookReceiver().start()
    started: _Started | None = None
    env = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp.port),
        "PLANTAO_SMTP_FROM": "plantao@plantao.test",
    }
    try:
        started = start_plantao(str(request.param), tmp_path / "plantao", CONFIG, env)
        yield Stack(started.server, smtp, hooks)
    finally:
        if started is not None:
            stop_plantao(started)
        hooks.stop()
        smtp.stop()


def _text(mail: Any) -> str:
    for part in mail.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text/plain part")


def _add_stakeholder(tab: Any, base_url: str, **fields: str) -> None:
    from playwright.sync_api import expect

    tab.goto(f"{base_url}/stakeholders")
    tab.fill("#stk-name", fields["name"])
    tab.select_option("#stk-scope", fields["scope"])
    tab.fill("#stk-slug", fields.get("slug", ""))
    tab.select_option("#stk-kind", fields["kind"])
    tab.fill("#stk-address", fields["address"])
    tab.select_option("#stk-language", fields["language"])
    tab.click("form[action='/stakeholders'] button[type=submit]")
    expect(tab.locator(".banner.success")).to_contain_text(fields["name"])


def test_status_update_from_the_browser_reaches_each_stakeholder_once_in_their_language(
    stack: Stack,
    page: Any,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """Stakeholders added in the browser; an incident; an update posted with the incident
    page's form → one English e-mail (SMTP) and one Portuguese channel post, and no more."""
    from playwright.sync_api import expect

    server = stack.server
    log_in(page, server)
    _add_stakeholder(
        page,
        server.base_url,
        name="Execs",
        scope="global",
        kind="email",
        address="execs@example.com",
        language="en",
    )
    _add_stakeholder(
        page,
        server.base_url,
        name="Canal ops",
        scope="service",
        slug="platform",
        kind="mattermost",
        address=f"{stack.hooks.url}/mm",
        language="pt-BR",
    )
    check_page(
        page,
        f"{server.base_url}/stakeholders",
        expect_text=["Execs", "Canal ops"],
        out_dir=tmp_path,
    )
    ref = open_incident(server)
    page.goto(f"{server.base_url}/incidents/{ref}")
    page.check("#upd-form input[name=status][value=identified]")
    page.fill("#upd-impact", "Checkout fails for 20% of users")
    page.fill("#upd-mitigation", "Rolled back the release")
    started = time.monotonic()
    page.click("#upd-submit")
    expect(page.locator("#inc-updates")).to_contain_text("Checkout fails for 20% of users")
    try:
        wait_for("the e-mail", lambda: stack.smtp.messages[0] if stack.smtp.messages else None)
        wait_for("the channel post", lambda: stack.hooks.bodies[0] if stack.hooks.bodies else None)
    except AssertionError:
        raise AssertionError(server.log_tail()) from None
    elapsed = time.monotonic() - started
    assert elapsed < 300, "P0 initial message later than 5 minutes (seed 003 §4.3)"
    time.sleep(3)  # a duplicate would arrive within the engine's next cycles
    assert len(stack.smtp.messages) == 1 and len(stack.hooks.bodies) == 1
    mail = stack.smtp.messages[0]
    assert mail["To"] == "execs@example.com" and ref in mail["Subject"]
    assert "INCIDENT" in mail["Subject"] and "INCIDENTE" not in mail["Subject"]
    text = _text(mail)
    assert "Impact: Checkout fails for 20% of users" in text and "Impacto" not in text
    post = json.loads(stack.hooks.bodies[0])
    assert "Impacto" in post["text"] and ref in post["text"]
    assert "Checkout fails for 20" in post["text"]
    page.goto(f"{server.base_url}/incidents/{ref}")  # the Stakeholders card says it went out
    card = page.locator("#inc-stakeholders")
    expect(card.locator('[data-state="sent"]')).to_have_count(2)
    expect(card).to_contain_text("Execs")
    expect(card).not_to_contain_text("execs@example.com")
    with server.client() as api:
        incident = api.get(f"/api/v1/incidents/{ref}").json()
        sent = [e for e in incident["timeline"] if e["kind"] == "comms.fanned_out"]
        assert len(sent) == 1 and sent[0]["data"]["stakeholders"] == 2
