"""The public status page while the database is unreachable: a real ``plantao serve`` on
PostgreSQL through a TCP proxy the test cuts. The page and ``summary.json`` keep answering 200
from the snapshots the engine rendered, and a web process started while the database is still
down answers 200 from the snapshot files."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from plantao.db import make_engine, make_sessionmaker
from tests.e2e.conftest import (
    E2E_CONFIG,
    POSTGRES_URL,
    _PostgresDatabase,
    free_port,
    plantao_command,
    run_cli,
    stop,
    tail,
    wait_ready,
)
from tests.factories.requirements import require_component
from tests.factories.status_page_state import SECRET_TITLE, script
from tests.factories.tcp_proxy import FlakyProxy


@pytest.fixture
def database() -> Iterator[_PostgresDatabase]:
    require_component("PostgreSQL (set PLANTAO_TEST_POSTGRES_URL)", bool(POSTGRES_URL))
    created = _PostgresDatabase(POSTGRES_URL, f"plantao_e2e_{uuid.uuid4().hex[:10]}")
    created.create()
    try:
        yield created
    finally:
        created.drop()


def _eventually(check: Callable[[], bool], what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} not seen in {timeout}s:\n{tail(log)}")


def _serve(env: dict[str, str], workdir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [*plantao_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_status_page_answers_from_snapshots_while_the_database_is_down(
    database: _PostgresDatabase, tmp_path: Path
) -> None:
    """With the database cut, ``/status`` and ``/api/v2/summary.json`` answer 200 with the last
    rendered page, and so does a web process started cold while it is still cut."""
    proxy, proxied_url = FlakyProxy.for_url(database.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PLANTAO_ENV": "test",
        "PLANTAO_DATABASE_URL": proxied_url,
        "PLANTAO_SECRET_KEY": secrets.token_urlsafe(32),
        "PLANTAO_BASE_URL": base,
        "PLANTAO_LOG_LEVEL": "WARNING",
        "PLANTAO_STATUS_SNAPSHOT_DIR": str(tmp_path / "snapshots"),
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "serve.log"
    run_cli(env, tmp_path, "migrate")
    (tmp_path / "plantao.yaml").write_text(E2E_CONFIG, encoding="utf-8")
    run_cli(env, tmp_path, "apply", "-f", str(tmp_path / "plantao.yaml"))
    engine = make_engine(database.url, pool_size=2)
    try:
        script(make_sessionmaker(engine), datetime.now(UTC))
    finally:
        engine.dispose()
    process = _serve(env, tmp_path, port, log)
    try:
        wait_ready(base, process, log)
        _eventually(
            lambda: "Checkout is failing" in httpx.get(f"{base}/status", timeout=5).text,
            "the rendered page",
            log,
        )
        before = httpx.get(f"{base}/api/v2/summary.json", timeout=5).json()
        proxy.cut()
        assert httpx.get(f"{base}/readyz", timeout=10).status_code == 503
        for _ in range(3):  # across the store's refresh interval: its checks fail meanwhile
            page = httpx.get(f"{base}/status", timeout=10)
            assert page.status_code == 200 and "Checkout is failing" in page.text
            assert SECRET_TITLE not in page.text
            summary = httpx.get(f"{base}/api/v2/summary.json", timeout=10)
            assert summary.status_code == 200 and summary.json() == before
            time.sleep(1.5)
        stop(process)
        process = _serve(env, tmp_path, port, log)
        _eventually(
            lambda: httpx.get(f"{base}/healthz", timeout=2).status_code == 200, "healthz", log
        )
        cold = httpx.get(f"{base}/status?lang=pt-BR", timeout=10)
        assert cold.status_code == 200, tail(log)
        assert "Checkout is failing" in cold.text and "Incidentes em andamento" in cold.text
        cold_summary = httpx.get(f"{base}/api/v2/summary.json", timeout=10)
        assert cold_summary.status_code == 200 and cold_summary.json() == before
        proxy.restore()
        _eventually(
            lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 200, "readyz", log
        )
        assert httpx.get(f"{base}/status", timeout=10).status_code == 200
    finally:
        stop(process)
        proxy.close()
