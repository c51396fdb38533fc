"""Failed and retrying pages show on the incident itself, not only on /deliveries: the page's
"Who's on it" and the API detail's ``deliveries`` name each delivery's state and reason, with
credentials in a provider's error redacted."""

from __future__ import annotations

import socket
from datetime import datetime

import pytest
from sqlalchemy import update

from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.delivery_step import DeliveryStep
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from tests.api.conftest import Api
from tests.api.test_incident_page import PAGING, _fire, page_html, page_section, visible_text
from tests.factories.config import apply_config
from tests.factories.notify import WEBHOOK_SECRET, deliver, give_contacts

SLACK_SECRET = "T0000/B0000/s3cr3tXYZtokenvalue"


def _closed_port() -> int:
    """A loopback port nobody listens on (connections are refused at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _paged_with_failures(api: Api, request: pytest.FixtureRequest) -> str:
    apply_config(api.factory, PAGING)
    give_contacts(
        api.factory,
        [
            ContactMethodSpec("mail", "email", "ana@example.com"),
            ContactMethodSpec(
                "hook", "webhook", f"http://127.0.0.1:{_closed_port()}/pager", WEBHOOK_SECRET
            ),
        ],
    )
    ref = _fire(api)
    step = DeliveryStep(Settings(env="test"))  # no PLANTAO_SMTP_HOST: e-mail cannot be sent
    request.addfinalizer(step.close)
    assert deliver(step, api.factory) == 2
    return ref


def test_failed_and_retrying_deliveries_on_the_page_and_in_the_api(
    api: Api, frozen: datetime, request: pytest.FixtureRequest
) -> None:
    """The e-mail page failed (SMTP not configured) and the webhook to a closed port is
    retrying: both show on the incident page and in the API detail with their reasons."""
    ref = _paged_with_failures(api, request)
    api.login("viewer")
    panel = visible_text(page_section(page_html(api, ref), "inc-oncall"))
    assert "failed e-mail (mail)" in panel
    assert "reason: e-mail is not configured (set PLANTAO_SMTP_HOST)" in panel
    assert "retrying webhook (hook)" in panel and "reason: transport error: ConnectError" in panel
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    shown = {(d["user"], d["channel"], d["contact"], d["state"]) for d in detail["deliveries"]}
    assert shown == {("ana", "email", "mail", "failed"), ("ana", "webhook", "hook", "retrying")}
    [mail] = [d for d in detail["deliveries"] if d["channel"] == "email"]
    assert mail["reason"] == "e-mail is not configured (set PLANTAO_SMTP_HOST)"
    assert mail["finished_at"] is not None and mail["attempts"] == 1
    [hook] = [d for d in detail["deliveries"] if d["channel"] == "webhook"]
    assert hook["next_attempt_at"] is not None


def test_credentials_in_a_provider_error_are_redacted(
    api: Api, frozen: datetime, request: pytest.FixtureRequest
) -> None:
    """An error quoting a chat webhook URL (whose path is its credential) shows redacted on the
    page and in the API."""
    ref = _paged_with_failures(api, request)
    with session_scope(api.factory) as s:
        s.execute(
            update(Delivery)
            .where(Delivery.channel == "webhook")
            .values(last_error=f"HTTP 500 from https://hooks.slack.com/services/{SLACK_SECRET}")
        )
    api.login("viewer")
    raw = page_section(page_html(api, ref), "inc-oncall")
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    [hook] = [d for d in detail["deliveries"] if d["channel"] == "webhook"]
    assert SLACK_SECRET not in raw and SLACK_SECRET not in hook["reason"]
    assert "[REDACTED]" in hook["reason"] and "HTTP 500 from https://hooks.slack.com" in raw
