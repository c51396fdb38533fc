"""A sender of unstorable requests never fails the valid senders sharing its commits.

Found against a real server: a NUL or 300 levels of ``custom_details`` made the inbox's group
commit fail, and every valid request committed with it answered 503. So this test runs
``plantao serve`` for real and sends concurrent HTTP requests from twenty valid senders while
a bad sender loops through every kind of unstorable request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from plantao.alerts.models import Alert
from plantao.db import make_engine, make_sessionmaker, session_scope
from tests.e2e.conftest import AM_KEY, E2E_CONFIG, PlantaoServer, start_plantao, stop_plantao
from tests.factories.payloads import am_alert, am_webhook

PD_KEY = "e2e-pd-key-0123456789abcdef"
GEN_KEY = "e2e-gen-key-0123456789abcdef"
CONFIG = E2E_CONFIG.replace(
    "integrations:\n",
    "integrations:\n"
    f"  - {{slug: pd, name: PD, kind: pagerduty, service: platform, key: {PD_KEY}}}\n"
    f"  - {{slug: gen, name: Generic, kind: generic, service: platform, key: {GEN_KEY}}}\n",
)
SENDERS = 20
REQUESTS_PER_SENDER = 10


def _nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def _pd(summary: str = "disk full", **payload: Any) -> dict[str, Any]:
    return {
        "routing_key": PD_KEY,
        "event_action": "trigger",
        "payload": {"summary": summary, "source": "db-1", "severity": "warning", **payload},
    }


AM_PATH = f"/api/v1/intake/{AM_KEY}/alertmanager"
GEN_PATH = f"/api/v1/intake/{GEN_KEY}/generic"
# (path, body, expected status): every way one request used to break its group, or the server.
BAD_REQUESTS: list[tuple[str, Any, int]] = [
    (AM_PATH, am_webhook([am_alert(team="s\x00re")]), 422),
    (AM_PATH, am_webhook([am_alert()], group_key='{}:{a="\x00"}'), 422),
    (AM_PATH, am_webhook([am_alert(starts_at="9999-12-31T23:59:59-14:00")]), 422),
    ("/v2/enqueue", _pd(custom_details=_nested(300)), 400),
    ("/v2/enqueue", _pd(custom_details={"log": "a\x00b"}), 400),
    ("/v2/enqueue", _pd(timestamp="9999-12-31T23:59:59-14:00"), 400),
    ("/v2/change/enqueue", {"routing_key": PD_KEY, "payload": {"summary": "d\x00"}}, 400),
    (GEN_PATH, {"title": "t", "starts_at": "0001-01-01T00:00:00+14:00"}, 422),
    (GEN_PATH, {"title": "t", "labels": {"x": "\x00"}}, 422),
]


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PlantaoServer]:
    started = start_plantao(str(request.param), tmp_path / "plantao", config_text=CONFIG)
    try:
        yield started.server
    finally:
        stop_plantao(started)


def _valid(sender: int, n: int) -> tuple[str, dict[str, Any]]:
    name = f"s{sender}-r{n}"
    if n % 2:
        return "/v2/enqueue", {**_pd(f"pd {name}"), "dedup_key": name}
    return AM_PATH, am_webhook([am_alert("Neighbour", instance=name)], group_key="neighbours")


def _stored_alerts(server: PlantaoServer) -> int:
    engine = make_engine(server.database_url, pool_size=1)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            return int(session.scalar(select(func.count()).select_from(Alert)) or 0)
    finally:
        engine.dispose()


def _wait_applied(server: PlantaoServer, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with server.client() as client:
        while True:
            status: dict[str, Any] = client.get("/api/v1/intake/inbox").json()
            if status["pending_entries"] == 0 or time.monotonic() > deadline:
                return status
            time.sleep(0.2)


def test_bad_sender_never_fails_valid_neighbours(server: PlantaoServer) -> None:
    """Twenty valid senders all get 202 and are stored while a bad sender loops and gets 4xx."""
    done = threading.Event()
    bad_answers: list[tuple[str, int, int]] = []

    def valid_sender(sender: int) -> list[int]:
        codes = []
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            for n in range(REQUESTS_PER_SENDER):
                path, body = _valid(sender, n)
                codes.append(client.post(path, json=body).status_code)
        return codes

    def bad_sender() -> None:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            while not done.is_set():
                for path, body, expected in BAD_REQUESTS:
                    # The standard library's encoder: orjson refuses to write 300 levels.
                    res = client.post(path, content=json.dumps(body).encode())
                    bad_answers.append((path, expected, res.status_code))

    with ThreadPoolExecutor(max_workers=SENDERS + 1) as pool:
        bad = pool.submit(bad_sender)
        valid = [pool.submit(valid_sender, s) for s in range(SENDERS)]
        codes = [code for future in valid for code in future.result()]
        done.set()
        bad.result()

    assert codes == [202] * SENDERS * REQUESTS_PER_SENDER, sorted(set(codes))
    assert len(bad_answers) >= len(BAD_REQUESTS)
    wrong = [(path, expected, got) for path, expected, got in bad_answers if got != expected]
    assert wrong == [], wrong[:5]
    status = _wait_applied(server)
    assert status["pending_entries"] == 0 and status["failed_entries"] == 0, status
    assert _stored_alerts(server) == SENDERS * REQUESTS_PER_SENDER
