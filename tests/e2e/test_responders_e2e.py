"""A responder paged from the incident page in a real Chromium reaches a real SMTP inbox
(aiosmtpd) through the outbox and the engine inside ``plantao serve``, and shows as paged; the
page passes the accessibility and phone-width checks with the panel on it."""

from __future__ import annotations

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
from tests.e2e.test_browser import TIMEOUT_MS, browser, log_in, open_incident
from tests.e2e.test_paging_e2e import _text_part
from tests.e2e.ui_harness import check_page, install_axe
from tests.factories.notify import SmtpSink, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, imported so this module can use it

CONFIG = f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - {{handle: ana, name: Ana, email: ana@example.com}}
  - handle: carla
    name: Carla DBA
    email: carla@example.com
    contact_methods: [{{name: mail, type: email, address: carla@example.com}}]
    notification_rules: [{{contact: mail, after: 0m}}]
services:
  - {{slug: platform, name: Platform, team: sre, escalation_policy: primary}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {AM_KEY}}}
schedules:
  - slug: dba
    name: DBA
    layers:
      - {{name: d, rotation: {{type: daily, start: 2026-01-01, participants: [carla]}}}}
escalation_policies:
  - {{slug: primary, name: Primary, steps: [{{delay: 0m, targets: [{{user: ana}}]}}]}}
severity_matrix:
  default: sev1
"""


@dataclass
class Stack:
    server: PlantaoServer
    smtp: SmtpSink


@pytest.fixture(params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    smtp = SmtpSink(free_port()).start()
    started: _Started | None = None
    try:
        env = {
            "PLANTAO_SMTP_HOST": "127.0.0.1",
            "PLANTAO_SMTP_PORT": str(smtp.port),
            "PLANTAO_SMTP_FROM": "plantao@plantao.test",
        }
        started = start_plantao(str(request.param), tmp_path / "plantao", CONFIG, env)
        yield Stack(started.server, smtp)
    finally:
        if started is not None:
            stop_plantao(started)
        smtp.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh context with axe-core added before the page's own scripts."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        yield context.new_page()
    finally:
        context.close()


def test_paging_the_dba_schedule_from_the_browser_mails_carla(
    stack: Stack, page: Any, tmp_path: Path
) -> None:
    """Choose the DBA schedule (the option says carla is on call), add a message and page:
    carla shows as paged, and her e-mail, with the message and an ack link, reaches the
    SMTP inbox; the page keeps its accessibility and 390 px checks."""
    from playwright.sync_api import expect

    server = stack.server
    ref = open_incident(server)
    log_in(page, server)
    page.goto(f"{server.base_url}/incidents/{ref}")
    panel = page.locator("#inc-responders")
    expect(panel).to_contain_text("Nobody was asked onto this incident yet.")
    page.select_option("#rsp-target", label="DBA (on call: carla)")
    page.fill("#rsp-message", "replication lag on the primary")
    page.click("button.rsp-page")
    expect(panel.locator('[data-user="carla"]')).to_have_attribute("data-state", "paged")
    expect(panel).to_contain_text("on call on schedule dba")

    def carla_mailed() -> bool:
        return any("carla@example.com" in str(m["To"]) for m in stack.smtp.messages)

    try:
        wait_until("carla's e-mail", carla_mailed)
    except AssertionError:
        raise AssertionError(server.log_tail()) from None
    mail = next(m for m in stack.smtp.messages if "carla@example.com" in str(m["To"]))
    assert ref in str(mail["Subject"])
    text = _text_part(mail)
    assert "replication lag on the primary" in text
    assert "/a/" in text
    check_page(
        page,
        f"{server.base_url}/incidents/{ref}",
        expect_text=["Responders", "Carla DBA"],
        out_dir=tmp_path,
        ready="[data-live-state=open]",
    )
