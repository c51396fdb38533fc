"""``plantao serve`` runs the engine as a child process on PostgreSQL and a thread on SQLite."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import httpx

from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.processes import alive


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b" worker" in cmdline:
            found.append(int(entry.name))
    return found


def _wait_for(what: str, check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _incident_opens(server: PlantaoServer) -> None:
    name = f"Engine{uuid.uuid4().hex[:8]}"
    body = am_webhook(
        [am_alert(name, summary=f"{name} is failing")], group_key=f'{{}}:{{alertname="{name}"}}'
    )
    assert httpx.post(server.alertmanager_url, json=body, timeout=10).status_code == 202
    with server.client() as client:
        _wait_for(
            f"incident for {name}",
            lambda: any(
                name in item["title"] for item in client.get("/api/v1/incidents").json()["items"]
            ),
        )


def test_engine_child_is_restarted_and_follows_serve(tmp_path: Path) -> None:
    """On PostgreSQL two engine children apply intake, are restarted when killed, die with serve."""
    started = start_plantao("postgres", tmp_path / "plantao")
    try:
        serve = started.server.process
        assert serve is not None
        _wait_for("the engine children", lambda: len(_children(serve.pid)) == 2)
        first, other = _children(serve.pid)
        _incident_opens(started.server)
        os.kill(first, signal.SIGKILL)
        _wait_for(
            "a new engine child",
            lambda: len(_children(serve.pid)) == 2 and first not in _children(serve.pid),
        )
        _incident_opens(started.server)
        survivors = _children(serve.pid)
        assert other in survivors
        serve.kill()
        serve.wait(10)
        _wait_for(
            "the orphaned engines to stop",
            lambda: not any(alive(pid) for pid in survivors),
            timeout=15,
        )
    finally:
        stop_plantao(started)


def test_sqlite_runs_the_engine_in_process(tmp_path: Path) -> None:
    """On SQLite there is no child: the engine is a thread of serve (one writer process)."""
    started = start_plantao("sqlite", tmp_path / "plantao")
    try:
        serve = started.server.process
        assert serve is not None
        _incident_opens(started.server)
        assert _children(serve.pid) == []
        with started.server.client() as client:
            assert "in_process" in client.get("/healthz/engine").json()
    finally:
        stop_plantao(started)
