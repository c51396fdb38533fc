"""Real Alertmanager → real ``plantao serve`` (engine inside) → real SMTP and webhook receivers,
then the signed acknowledge link from the received e-mail acknowledges the incident."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from plantao.notify import link_tokens
from tests.e2e.conftest import (
    AM_KEY,
    BACKENDS,
    PlantaoServer,
    _Started,
    free_port,
    start_plantao,
    stop,
    stop_plantao,
)
from tests.e2e.test_alertmanager import (
    ALERTMANAGER,
    Alertmanager,
    start_alertmanager,
    wait_for,
)
from tests.factories.notify import WEBHOOK_SECRET, SmtpSink, WebhookReceiver
from tests.factories.requirements import require_component

pytestmark = pytest.mark.e2e

CONFIG = """
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - handle: ana
    name: Ana
    email: ana@example.com
    time_zone: America/Sao_Paulo
    contact_methods:
      - {{name: mail, type: email, address: ana@example.com}}
      - {{name: hook, type: webhook, address: "{hook}", secret: {secret}}}
    notification_rules: [{{contact: mail, after: 0m}}, {{contact: hook, after: 0m}}]
services:
  - {{slug: platform, name: Platform, team: sre, escalation_policy: primary}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {key}}}
escalation_policies:
  - {{slug: primary, name: Primary, steps: [{{delay: 0m, targets: [{{user: ana}}]}}]}}
severity_matrix:
  default: sev1
"""


@dataclass
class Stack:
    server: PlantaoServer
    smtp: SmtpSink
    hooks: WebhookReceiver
    alertmanager: Alertmanager


def _start_plantao(backend: str, workdir: Path, smtp_port: int, hook_url: str) -> _Started:
    smtp = {
        "PLANTAO_SMTP_HOST": "127.0.0.1",
        "PLANTAO_SMTP_PORT": str(smtp_port),
        "PLANTAO_SMTP_FROM": "plantao@plantao.test",
    }
    config = CONFIG.format(hook=hook_url, secret=WEBHOOK_SECRET, key=AM_KEY)
    return start_plantao(backend, workdir, config, smtp)


@pytest.fixture(params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    require_component(ALERTMANAGER, shutil.which(ALERTMANAGER) is not None)
    smtp = SmtpSink(free_port()).start()
    hooks = WebhookReceiver().start()
    started: _Started | None = None
    alertmanager: Alertmanager | None = None
    try:
        started = _start_plantao(
            str(request.param), tmp_path / "plantao", smtp.port, f"{hooks.url}/hook"
        )
        alertmanager = start_alertmanager(
            started.server.alertmanager_url, tmp_path / "alertmanager"
        )
        yield Stack(started.server, smtp, hooks, alertmanager)
    finally:
        if alertmanager is not None:
            stop(alertmanager.process)
        if started is not None:
            stop_plantao(started)
        hooks.stop()
        smtp.stop()


def _text_part(mail: object) -> str:
    for part in mail.walk():  # type: ignore[attr-defined]
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            return str(payload.decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text/plain part")


def test_alert_pages_by_email_and_webhook_and_the_mailed_link_acknowledges(
    stack: Stack,
) -> None:
    """Alertmanager alert → e-mail + signed webhook; the e-mail's ack link (GET confirms, POST
    acts) acknowledges as ana; tampered, expired and reused links are refused."""
    starts_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    stack.alertmanager.post_alerts(
        [
            {
                "labels": {"alertname": "E2EPagingDown", "severity": "critical"},
                "annotations": {
                    "summary": "checkout is down",
                    "runbook_url": "https://runbooks.example/checkout-down",
                },
                "startsAt": starts_at.isoformat().replace("+00:00", "Z"),
            }
        ]
    )
    try:
        wait_for("the e-mail", lambda: stack.smtp.messages[0] if stack.smtp.messages else None)
        wait_for("the webhook", lambda: stack.hooks.bodies[0] if stack.hooks.bodies else None)
    except AssertionError:
        raise AssertionError(stack.server.log_tail()) from None
    mail = stack.smtp.messages[0]
    text = _text_part(mail)
    assert mail["To"].endswith("<ana@example.com>")
    assert "INC-" in mail["Subject"] and "checkout is down" in mail["Subject"]
    assert "https://runbooks.example/checkout-down" in text
    hook = json.loads(stack.hooks.bodies[0])
    assert hook["incident"]["ref"] in mail["Subject"]
    assert stack.hooks.signatures[0].startswith("t=")

    match = re.search(r"Acknowledge: (\S+/a/(\S+))", text)
    assert match, text
    ack_url, token = match.group(1), match.group(2)
    ref = hook["incident"]["ref"]
    with stack.server.client() as api, httpx.Client(timeout=10.0) as browser:
        shown = browser.get(ack_url)
        assert shown.status_code == 200 and ref in shown.text
        assert api.get(f"/api/v1/incidents/{ref}").json()["status"] == "triggered"

        payload, _, mac = token.partition(".")
        tampered = f"{stack.server.base_url}/a/{payload}.{mac[::-1]}"
        assert browser.post(tampered, data={"action": "ack"}).status_code == 400
        claim = link_tokens.verify_action(
            token, stack.server.env["PLANTAO_SECRET_KEY"], datetime.now(UTC)
        )
        expired = link_tokens.sign_action(
            stack.server.env["PLANTAO_SECRET_KEY"],
            incident_id=claim.incident_id,
            action="ack",
            subject=claim.subject,
            expires_at=datetime.now(UTC) - timedelta(minutes=1),
        )
        refused = browser.post(f"{stack.server.base_url}/a/{expired}", data={"action": "ack"})
        assert refused.status_code == 410 and "expired" in refused.text
        assert api.get(f"/api/v1/incidents/{ref}").json()["status"] == "triggered"

        done = browser.post(ack_url, data={"action": "ack"})
        assert done.status_code == 200, done.text
        incident = api.get(f"/api/v1/incidents/{ref}").json()
        assert incident["status"] == "acknowledged"
        acks = [e for e in incident["timeline"] if e["kind"] == "incident.acknowledged"]
        assert [e["actor"] for e in acks] == ["ana"]
        assert browser.post(ack_url, data={"action": "ack"}).status_code == 410
        dead = api.get("/api/v1/deliveries", params={"state": "dead"}).json()
        assert dead["items"] == [] and dead["depth"]["sent"] >= 2
