"""A real ``plantao serve``: in Chromium the person on call ticks their shift checklist, sends a
test page to themselves — its engine delivers it to a real SMTP server (aiosmtpd) and a real
webhook receiver, and the page then shows each method delivered — and marks done the routine
task the engine created for them at its due instant, which the routines page then shows as
done on time."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlantaoServer, _Started, free_port, start_plantao, stop_plantao
from tests.e2e.test_browser import browser, page  # noqa: F401 - fixtures
from tests.e2e.ui_harness import check_page
from tests.factories.notify import WEBHOOK_SECRET, SmtpSink, WebhookReceiver, wait_until

pytestmark = pytest.mark.e2e


def _config(webhook: str, due: datetime) -> str:
    return f"""
version: 1
teams:
  - {{slug: sre, name: SRE, members: [ana]}}
users:
  - handle: ana
    name: Ana
    role: responder
    contact_methods:
      - {{name: mail, type: email, address: ana@example.com}}
      - {{name: hook, type: webhook, address: '{webhook}', secret: {WEBHOOK_SECRET}}}
services:
  - {{slug: checkout, name: Checkout, team: sre, escalation_policy: desk-first}}
schedules:
  - slug: desk
    name: Ops desk
    layers:
      - {{name: daily, rotation: {{type: daily, start: 2026-11-01, participants: [ana]}}}}
escalation_policies:
  - {{slug: desk-first, name: Desk first, steps: [{{delay: 0m, targets: [{{schedule: desk}}]}}]}}
routines:
  - slug: alert-review
    title: {{en: Review the last 24 h of alerts, pt-BR: Revisar os alertas das últimas 24 h}}
    every: daily
    at: "{due:%H:%M:%S}"
    time_zone: UTC
    team: sre
    remind_after: 1h
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[PlantaoServer, SmtpSink, WebhookReceiver, str]]:
    smtp = SmtpSink(free_port()).start()
    receiver = WebhookReceiver().start()
    env = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp.port),
        "PLANTAO_SMTP_FROM": "plantao@plantao.test",
    }
    started: _Started | None = None
    try:
        # Due 40 s from now: after migrate, apply and start, before the test gives up.
        due = (datetime.now(UTC) + timedelta(seconds=40)).replace(microsecond=0)
        config = _config(f"{receiver.url}/ana", due)
        started = start_plantao("sqlite", tmp_path / "plantao", config, env)
        password = started.server.cli("users", "set-password", "ana", "--generate")
        yield started.server, smtp, receiver, password.strip().splitlines()[-1].strip()
    finally:
        if started is not None:
            stop_plantao(started)
        receiver.stop()
        smtp.stop()


def _log_in(tab: Any, server: PlantaoServer, password: str) -> None:
    tab.goto(f"{server.base_url}/login")
    tab.fill("#handle", "ana")
    tab.fill("#password", password)
    tab.click("form[action='/login'] button[type=submit]")
    tab.wait_for_url(lambda url: "/login" not in url)


def test_on_call_person_ticks_tests_their_pager_and_does_the_routine(
    served: tuple[PlantaoServer, SmtpSink, WebhookReceiver, str],
    page: Any,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """The page reads well at 1366 and 390 px (axe, no horizontal scroll); a tick is kept; the
    test page arrives once by mail and once by webhook and shows 'delivered' for both; the
    routine task the engine created is marked done from the page."""
    server, smtp, receiver, password = served
    _log_in(page, server, password)
    check_page(
        page,
        f"{server.base_url}/shift",
        expect_text=["My shift", "Ops desk", "0 of 20 done", "Send a test page to yourself"],
        out_dir=tmp_path,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("#item-desk-calendar button[type=submit]")
    page.wait_for_selector("text=1 of 20 done")
    assert "done" in page.inner_text("#item-desk-calendar")

    page.click("form[action='/shift/test-page'] button[type=submit]")
    page.wait_for_selector("text=Test page sent")
    wait_until("the test mail", lambda: len(smtp.messages) >= 1, timeout=60.0)
    wait_until("the test webhook", lambda: len(receiver.bodies) >= 1, timeout=60.0)
    [mail] = [m for m in smtp.messages if "Test page" in str(m["Subject"])]
    assert parseaddr(str(mail["To"]))[1] == "ana@example.com"
    [body] = receiver.bodies
    assert "Test page" in json.dumps(json.loads(body))

    def delivered() -> bool:
        page.reload()
        return bool(page.locator(".sh-test-results .status.delivered").count() == 2)

    wait_until("both methods delivered on the page", delivered, timeout=30.0)
    assert page.inner_text(".sh-test-status") == "delivered"

    def task_shown() -> bool:
        page.reload()
        return bool(page.locator("form[action$='/done']").count() == 1)

    wait_until("the routine task", task_shown, timeout=150.0)
    assert "Review the last 24 h of alerts" in page.inner_text("#tasks")
    page.fill("#tasks input[name=note]", "No noisy alerts today.")
    page.click("form[action$='/done'] button[type=submit]")
    page.wait_for_selector("text=Recently done")
    assert "No routine task is waiting for you." in page.inner_text("#tasks")
    check_page(
        page,
        f"{server.base_url}/shift?lang=pt-BR",
        widths=(390,),
        expect_text=["Meu turno", "1 de 20 feitos", "Feitas recentemente", "entregue"],
        out_dir=tmp_path,
    )
    check_page(
        page,
        f"{server.base_url}/routines?lang=en",
        expect_text=["Recurring routines", "every day at", "done on time", "ana"],
        out_dir=tmp_path,
    )
    time.sleep(2)  # a second copy of anything would have arrived by now
    subjects = sorted(str(m["Subject"]) for m in smtp.messages)
    assert len([s for s in subjects if "Test page" in s]) == 1
    assert len([s for s in subjects if "Routine due" in s]) == 1
