"""Secrets never reach the log of a real ``plantao serve``, even on its error paths.

Each test reproduces a leak found in review against the real process and reads what it wrote to
stderr: an intake request whose handling raises with the key among the SQL parameters (logged by
Plantão and again by uvicorn as a traceback), a calendar feed asked for as ``.ICS``, and a
production start refused for a weak secret key.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.e2e.conftest import (
    AM_KEY,
    BACKENDS,
    free_port,
    plantao_command,
    start_plantao,
    stop,
    stop_plantao,
)

ICAL_SECRET = "IcalFeedSecret-5b7e9c1d3f"
HEARTBEAT_KEY = "HbKeyNeverLogged-7c1a2e9f"


def _lines(log: str) -> list[dict[str, object]]:
    """Every non-empty line of the log parsed as JSON (a plain-text line fails the test)."""
    return [json.loads(line) for line in log.splitlines() if line.strip()]


def _break_heartbeat_lookup(backend: str, database_url: str) -> int:
    """Break the heartbeat-key lookup under the running server; the status a beat now gets.

    SQLite: an outage-like OperationalError, answered 503 with a one-line log. PostgreSQL:
    UndefinedTable, a 500 whose logged traceback is the SQLAlchemy error that used to list the
    key among its ``[parameters: …]``.
    """
    rename = "ALTER TABLE oncall_heartbeats RENAME TO oncall_heartbeats_gone"
    if backend == "sqlite":
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            conn.execute(rename)
        return 503
    with psycopg.connect(database_url, autocommit=True) as pg:
        pg.execute(rename)
    return 500


@pytest.mark.parametrize("backend", BACKENDS)
def test_failing_key_lookup_and_upper_case_ical_leave_no_secret_in_serve_log(
    backend: str, tmp_path: Path
) -> None:
    """A failing key lookup and a /ical/<secret>.ICS 404 leave only scrubbed JSON in the log."""
    started = start_plantao(backend, tmp_path / "plantao", extra_env={"PLANTAO_LOG_LEVEL": "INFO"})
    server = started.server
    try:
        missed = httpx.get(f"{server.base_url}/ical/{ICAL_SECRET}.ICS", timeout=10)
        assert missed.status_code == 404
        expected = _break_heartbeat_lookup(backend, server.database_url)
        failed = httpx.post(f"{server.base_url}/api/v1/heartbeats/{HEARTBEAT_KEY}", timeout=10)
        assert failed.status_code == expected
    finally:
        stop_plantao(started)
    log = server.log_path.read_text(errors="replace")
    assert HEARTBEAT_KEY not in log
    assert ICAL_SECRET not in log
    lines = _lines(log)
    assert any(str(line.get("path")).endswith("/ical/[REDACTED].ICS") for line in lines), log
    assert any(line.get("path") == "/api/v1/heartbeats/[REDACTED]" for line in lines), log
    if backend == "postgres":
        tracebacks = [str(line["exception"]) for line in lines if "exception" in line]
        assert any("oncall_heartbeats" in text and "hidden" in text for text in tracebacks), log


# What serve hands uvicorn, around an app that fails the way an unexpected bug does: uvicorn
# itself logs "Exception in ASGI application" with the traceback, as for any unhandled error.
_UVICORN_APP = f"""
import sys, uvicorn
from plantao.observability import logging as plantao_logging

KEY = {AM_KEY!r}

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    raise RuntimeError(f"lookup failed for /api/v1/intake/{{KEY}}/generic, routing_key={{KEY}}")

plantao_logging.configure("INFO")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info",
            log_config=plantao_logging.uvicorn_log_config("INFO"))
"""


def test_uvicorn_traceback_and_access_log_are_scrubbed_json(tmp_path: Path) -> None:
    """Real uvicorn with serve's log_config logs its traceback and access line scrubbed, as JSON."""
    port = free_port()
    log_path = tmp_path / "uvicorn.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _UVICORN_APP, str(port)], stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/intake/{AM_KEY}/generic")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise
                    time.sleep(0.1)
            assert answer.status_code == 500
        finally:
            stop(process)
    log = log_path.read_text(errors="replace")
    assert AM_KEY not in log
    lines = _lines(log)
    error = [x for x in lines if x.get("event") == "Exception in ASGI application\n"]
    assert error and "RuntimeError" in str(error[0]["exception"]), log
    assert error[0]["logger"] == "uvicorn.error"
    access = [x for x in lines if x.get("logger") == "uvicorn.access"]
    assert access and "/api/v1/intake/[REDACTED]/generic" in str(access[0]["event"]), log


def test_refused_production_start_does_not_print_the_secret_key(tmp_path: Path) -> None:
    """``plantao serve`` refusing a weak production key says why without echoing the key."""
    weak = "weak-production-key-Zq81xT7"
    env = {
        "PATH": "/usr/bin:/bin",
        "PLANTAO_ENV": "production",
        "PLANTAO_SECRET_KEY": weak,
        "PLANTAO_DATABASE_URL": f"sqlite:///{tmp_path / 'plantao.db'}",
    }
    done = subprocess.run(
        [*plantao_command(), "serve", "--port", "9"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "PLANTAO_SECRET_KEY" in output
    # pydantic used to echo the settings it was given, cut in the middle: "{'env': … 'da…Zq81xT7'}".
    for fragment in (weak, weak[-7:], weak[:12]):
        assert fragment not in output
