"""A separate ``plantao worker`` can be scraped: its engine health is on its own /metrics."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import free_port, plantao_command, run_cli, stop, tail

pytestmark = pytest.mark.e2e


def test_worker_serves_its_engine_metrics(tmp_path: Path) -> None:
    """``plantao worker --metrics-port`` answers /metrics with the engine's database gauge up."""
    env = {
        **os.environ,
        "PLANTAO_ENV": "test",
        "PLANTAO_DATABASE_URL": f"sqlite:///{tmp_path / 'plantao.db'}",
        "PLANTAO_LOG_LEVEL": "WARNING",
    }
    run_cli(env, tmp_path, "migrate")
    port = free_port()
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [*plantao_command(), "worker", "--metrics-port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        body = ""
        while time.monotonic() < deadline and "plantao_engine_database_up 1.0" not in body:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                time.sleep(0.1)
        assert "plantao_engine_database_up 1.0" in body, tail(tmp_path / "worker.log")
        assert "plantao_engine_cycle_duration_seconds" in body
    finally:
        stop(process)
        log.close()
