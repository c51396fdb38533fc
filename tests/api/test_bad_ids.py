"""Ids the database cannot hold, Unicode digits and forged cursors are 4xx, never 500; a
database that is away is 503 with Retry-After, never 500."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from plantao.api.app import create_app
from plantao.auth import service as auth_service
from plantao.config import Settings
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.engine.runner import start_in_thread
from tests.api.conftest import Api
from tests.conftest import empty_postgres
from tests.factories.config import apply_standard
from tests.factories.engine import engine_loop
from tests.factories.notify import wait_until
from tests.factories.tcp_proxy import FlakyProxy

HUGE = "99999999999"  # beyond PostgreSQL integer
HUGER = "9" * 25  # beyond bigint and SQLite INTEGER


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD = [
    ("GET", f"/api/v1/incidents/{HUGE}", 404),
    ("GET", f"/api/v1/incidents/{HUGER}", 404),
    ("GET", "/api/v1/incidents/%C2%B3", 404),  # '³': str.isdigit() is true, int() refuses
    ("GET", "/api/v1/incidents/" + "1" * 5000, 404),  # over int()'s 4,300 digits
    ("POST", f"/api/v1/incidents/{HUGE}/acknowledge", 404),
    ("POST", f"/api/v1/deliveries/{HUGE}/retry", 422),
    ("POST", f"/api/v1/deliveries/{HUGER}/retry", 422),
    ("POST", "/api/v1/deliveries/%C2%B3/retry", 422),
    ("GET", f"/api/v1/deliveries?incident_id={HUGE}", 422),
    ("GET", f"/api/v1/deliveries?incident_id={HUGER}", 422),
    ("GET", f"/api/v1/incidents?cursor={_cursor('id:' + HUGE)}", 422),
    ("GET", f"/api/v1/incidents?cursor={_cursor('id:' + HUGER)}", 422),
    ("GET", f"/api/v1/incidents?cursor={_cursor('id:³')}", 422),
    ("DELETE", f"/api/v1/tokens/{HUGE}", 422),
    ("GET", f"/api/v1/incidents/1/runs/{HUGE}", 422),
    ("POST", f"/api/v1/incidents/1/checklists/{HUGE}/items/1/check", 422),
    ("POST", f"/api/v1/silences/{HUGE}/end", 422),
]


@pytest.mark.parametrize(("method", "path", "status"), BAD)
def test_out_of_range_ids_are_client_errors(api: Api, method: str, path: str, status: int) -> None:
    """An id the database cannot hold is answered 404/422 problem+json, not 500."""
    client = TestClient(api.client.app, raise_server_exceptions=False)
    res = client.request(method, path, headers=api.headers("admin"))
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")


@pytest.fixture
def outage_app(postgres_database: str) -> Iterator[tuple[TestClient, FlakyProxy, str]]:
    """The app on PostgreSQL through a proxy that a test can cut; an admin token."""
    url = empty_postgres(postgres_database)
    direct_engine = make_engine(url, pool_size=2)
    direct = make_sessionmaker(direct_engine)
    apply_standard(direct)
    with session_scope(direct) as session:
        _, token = auth_service.create_service_token(session, name="admin", role="admin")
    proxy, proxied_url = FlakyProxy.for_url(url)
    engine = make_engine(proxied_url, pool_size=2)
    app = create_app(Settings(database_url=proxied_url, env="test"), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, proxy, token
    proxy.close()
    engine.dispose()
    direct_engine.dispose()


def test_database_outage_is_503_with_retry_after(
    outage_app: tuple[TestClient, FlakyProxy, str],
) -> None:
    """While the database refuses connections the API and /healthz/engine answer 503, then 200."""
    client, proxy, token = outage_app
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    proxy.cut()
    try:
        for path in ("/api/v1/incidents", "/api/v1/incidents/1", "/healthz/engine"):
            res = client.get(path, headers=headers)
            assert res.status_code == 503, (path, res.text)
            assert res.headers["content-type"].startswith("application/problem+json")
            assert int(res.headers["retry-after"]) > 0
    finally:
        proxy.restore()
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200


def test_healthz_engine_is_503_while_the_in_process_engine_cannot_reach_the_database(
    postgres_database: str,
) -> None:
    """/healthz/engine reports the serving process's engine down while its database is away."""
    url = empty_postgres(postgres_database)
    direct_engine = make_engine(url, pool_size=2)
    proxy, proxied_url = FlakyProxy.for_url(url)
    engine = make_engine(proxied_url, pool_size=2)
    loop = engine_loop(make_sessionmaker(engine))
    app = create_app(Settings(database_url=url, env="test"), engine=direct_engine)
    app.state.engine_loop = loop  # what serve's in-process engine sets
    thread, stop = start_in_thread(loop)
    try:
        client = TestClient(app)
        wait_until("a first cycle", lambda: loop.stats.cycles > 0, 10)
        assert client.get("/healthz/engine").status_code == 200
        proxy.cut()
        wait_until("the engine to notice", lambda: loop.outage.down_since is not None, 10)
        res = client.get("/healthz/engine")
        assert res.status_code == 503 and res.headers["retry-after"]
        body = res.json()
        assert body["status"] == "database_unavailable"
        assert body["in_process"]["database"] == "unavailable"
        proxy.restore()
        wait_until("the engine to recover", lambda: loop.outage.down_since is None, 15)
        assert client.get("/healthz/engine").status_code == 200
    finally:
        stop.set()
        thread.join(15)
        proxy.close()
        engine.dispose()
        direct_engine.dispose()
