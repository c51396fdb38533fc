"""Limits on abusive clients through the real application: key guessing, login lockout, valid
senders in a burst, and which X-Forwarded-For is believed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.app import create_app
from plantao.config import Settings
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, apply_standard
from tests.factories.payloads import am_alert, am_webhook, pd_event
from tests.factories.people import PASSWORD

SCANNER = ("203.0.113.66", 40000)


@pytest.fixture
def make_client(db_url: str, engine: Engine, factory: sessionmaker[Session]) -> Iterator[Any]:
    """A client of an app with the given limits, seen from the given address."""
    apply_standard(factory)
    clients: list[TestClient] = []

    def make(client: tuple[str, int] = SCANNER, **limits: Any) -> TestClient:
        settings = Settings(
            database_url=db_url, env="test", base_url="http://plantao.test", **limits
        )
        test_client = TestClient(create_app(settings, engine=engine), client=client)
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


def _guess(client: TestClient, n: int, headers: dict[str, str] | None = None) -> int:
    answer = client.post(
        f"/api/v1/intake/guess-{n}/alertmanager", json=am_webhook([am_alert()]), headers=headers
    )
    status: int = answer.status_code
    return status


def test_key_guessing_gets_429_while_the_valid_key_keeps_working(make_client: Any) -> None:
    """Past its failure budget an address gets 429 for unknown keys (problem+json with
    Retry-After), while the integration key that works from the same address goes on."""
    client = make_client(rate_limit_intake_failures_per_ip="5/10m")
    valid = f"/api/v1/intake/{AM_KEY}/alertmanager"
    assert client.post(valid, json=am_webhook([am_alert()])).status_code == 202
    assert [_guess(client, n) for n in range(6)] == [404] * 6  # the budget, then the probe
    refused = client.post("/api/v1/intake/guess-99/alertmanager", json={})
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 590 <= int(refused.headers["retry-after"]) <= 600
    assert "failed attempts" in refused.json()["detail"]
    assert client.post(valid, json=am_webhook([am_alert(alertname="Other")])).status_code == 202
    pd_guess = client.post("/v2/enqueue", json={**pd_event(), "routing_key": "nope"})
    assert pd_guess.status_code == 404  # PagerDuty routes keep their own budget


def test_login_lockout_answers_429_with_retry_after(api: Api, make_client: Any) -> None:
    """Three wrong passwords in the window lock the address out of the login form, right
    password or not; another address logs in."""
    client = make_client(rate_limit_login_failures_per_ip="3/15m")
    for _ in range(3):
        wrong = {"handle": "viewer-u", "password": "not the password"}
        assert client.post("/login", data=wrong).status_code == 401
    right = {"handle": "viewer-u", "password": PASSWORD, "next": "/"}
    locked = client.post("/login", data=right, follow_redirects=False)
    assert locked.status_code == 429
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    assert locked.json()["title"] == "Too many requests"
    other = make_client(client=("198.51.100.20", 5000))
    answer = other.post("/login", data=right, follow_redirects=False)
    assert answer.status_code == 303


def test_a_valid_sender_is_not_limited_in_a_burst_of_2000(api: Api) -> None:
    """With the default limits 2,000 webhooks in a row from one address and key are all
    accepted (a storm is never refused)."""
    path = f"/api/v1/intake/{AM_KEY}/alertmanager"
    statuses = {
        api.client.post(path, json=am_webhook([am_alert()])).status_code for _ in range(2000)
    }
    assert statuses == {202}


def test_forwarded_for_is_believed_only_from_trusted_proxies(make_client: Any) -> None:
    """Behind a trusted proxy each forwarded client has its own budget; an untrusted peer that
    forges X-Forwarded-For is still counted as itself."""
    limits = {"rate_limit_intake_failures_per_ip": "2/10m", "trusted_proxies": "10.0.0.0/8"}
    proxy = make_client(client=("10.0.0.2", 5000), **limits)
    scanner = {"X-Forwarded-For": "203.0.113.5"}
    assert [_guess(proxy, n, scanner) for n in range(4)] == [404, 404, 404, 429]
    assert _guess(proxy, 9, {"X-Forwarded-For": "198.51.100.8"}) == 404  # someone else
    forged = "203.0.113.5, 198.51.100.8"  # the scanner claims a hop; the proxy appends its own
    assert _guess(proxy, 10, {"X-Forwarded-For": f"{forged}, 203.0.113.5"}) == 429

    direct = make_client(client=("192.0.2.50", 5000), **limits)
    statuses = [_guess(direct, n, {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(4)]
    assert statuses == [404, 404, 404, 429]
