"""End-to-end fixtures: Plantão started for real, as an operator would start it.

``plantao_server`` runs the CLI in subprocesses exactly like the quick start does
(``plantao migrate``, ``plantao apply -f``, ``plantao tokens create``) against a fresh SQLite
file or, when ``PLANTAO_TEST_POSTGRES_URL`` is set, a freshly created PostgreSQL database; then it
starts ``plantao serve`` (uvicorn) on a free loopback port, waits for ``/readyz`` and yields the
base URL, an admin token and the Alertmanager integration key. Every process it starts is stopped
and every database it creates is dropped, even when the test fails.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psycopg
import pytest

from tests.factories.requirements import require_component

POSTGRES_URL = os.environ.get("PLANTAO_TEST_POSTGRES_URL", "")
STARTUP_TIMEOUT = 30.0

AM_KEY = "e2e-am-key-0123456789abcdef"
ADMIN_NAME = "e2e-admin"

# A small operator configuration: one Alertmanager integration with a fixed key; alerts of the
# checkout service are grouped by alertname (a Plantão route), everything else lands on the
# integration's service and is grouped by Alertmanager's own groupKey.
E2E_CONFIG = f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users: [{{handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}}]
services:
  - {{slug: checkout, name: Checkout, team: sre}}
  - {{slug: platform, name: Platform, team: sre}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {AM_KEY}}}
routes:
  - name: checkout by alertname
    matchers: ['service="checkout"']
    service: checkout
    group_by: [alertname]
    group_window: 1h
severity_matrix:
  default: sev3
"""


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plantao_command() -> list[str]:
    """The installed ``plantao`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "plantao"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from plantao.cli.app import main; main()"]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the process is still there after ``timeout`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@dataclass
class PlantaoServer:
    """A running ``plantao serve`` and what a test needs to talk to it."""

    backend: str
    base_url: str
    token: str
    am_key: str
    database_url: str
    env: dict[str, str]
    workdir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def alertmanager_url(self) -> str:
        return f"{self.base_url}/api/v1/intake/{self.am_key}/alertmanager"

    def client(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token or self.token}"},
            timeout=10.0,
        )

    def cli(self, *args: str) -> str:
        """Run a ``plantao`` command against this server's database; return its stdout."""
        return run_cli(self.env, self.workdir, *args)

    def create_token(self, name: str, role: str) -> str:
        out = self.cli("tokens", "create", "--name", name, "--role", role)
        return out.strip().splitlines()[-1].strip()

    def create_user(self, handle: str, role: str) -> str:
        """A person with ``role`` on every team; returns their generated password."""
        out = self.cli(
            "users", "create", handle, "--name", handle.title(), "--role", role, "--password"
        )
        return out.strip().splitlines()[-1].strip()

    def log_tail(self) -> str:
        return tail(self.log_path)


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [*plantao_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"plantao {' '.join(args)} exited {done.returncode}\n"
            f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
        )
    return done.stdout


def wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"plantao serve exited with {process.returncode}:\n{tail(log_path)}"
            )
        try:
            answer = httpx.get(f"{base_url}/readyz", timeout=2.0)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise AssertionError(f"/readyz not ready after {STARTUP_TIMEOUT}s ({last}):\n{tail(log_path)}")


@dataclass
class _PostgresDatabase:
    admin_url: str
    name: str

    @property
    def url(self) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{self.name}"

    def create(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"'.encode())

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'.encode())


def _database_url(backend: str, workdir: Path) -> tuple[str, _PostgresDatabase | None]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'plantao.db'}", None
    require_component("PostgreSQL (set PLANTAO_TEST_POSTGRES_URL)", bool(POSTGRES_URL))
    database = _PostgresDatabase(POSTGRES_URL, f"plantao_e2e_{uuid.uuid4().hex[:10]}")
    database.create()
    return database.url, database


@dataclass
class _Started:
    server: PlantaoServer
    log: IO[bytes]
    database: _PostgresDatabase | None


def start_plantao(
    backend: str,
    workdir: Path,
    config_text: str = E2E_CONFIG,
    extra_env: dict[str, str] | None = None,
    port: int | None = None,
) -> _Started:
    """Migrate, apply the config, create the admin token and serve (on ``port``, or a free one:
    a test that must register the URL elsewhere first, e.g. at an OpenID provider, picks it);
    the caller must stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    database_url, database = _database_url(backend, workdir)
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PLANTAO_ENV": "test",
        "PLANTAO_DATABASE_URL": database_url,
        "PLANTAO_SECRET_KEY": secrets.token_urlsafe(32),
        "PLANTAO_BASE_URL": base_url,
        "PLANTAO_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        # Live streams notice an ended session within 2 s instead of a minute.
        "PLANTAO_LIVE_SESSION_CHECK_SECONDS": "2",
        **(extra_env or {}),
    }
    log_path = workdir / "plantao-serve.log"
    log = log_path.open("wb")
    try:
        run_cli(env, workdir, "migrate")
        config = workdir / "plantao.yaml"
        config.write_text(config_text, encoding="utf-8")
        run_cli(env, workdir, "apply", "-f", str(config))
        token = (
            run_cli(env, workdir, "tokens", "create", "--name", ADMIN_NAME, "--role", "admin")
            .strip()
            .splitlines()[-1]
            .strip()
        )
        process = subprocess.Popen(
            [*plantao_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    except BaseException:
        log.close()
        if database is not None:
            database.drop()
        raise
    server = PlantaoServer(
        backend=backend,
        base_url=base_url,
        token=token,
        am_key=AM_KEY,
        database_url=database_url,
        env=env,
        workdir=workdir,
        log_path=log_path,
        process=process,
    )
    started = _Started(server, log, database)
    try:
        wait_ready(base_url, process, log_path)
    except BaseException:
        stop_plantao(started)
        raise
    return started


def stop_plantao(started: _Started) -> None:
    try:
        if started.server.process is not None:
            stop(started.server.process)
    finally:
        started.log.close()
        if started.database is not None:
            started.database.drop()


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def plantao_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PlantaoServer]:
    """A fresh Plantão (SQLite, and PostgreSQL when configured) served on loopback."""
    started = start_plantao(str(request.param), tmp_path / "plantao")
    try:
        yield started.server
    finally:
        stop_plantao(started)


@pytest.fixture(scope="module")
def plantao_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """One Plantão on SQLite shared by a module's tests (each test makes its own incidents)."""
    started = start_plantao("sqlite", tmp_path_factory.mktemp("plantao"))
    try:
        yield started.server
    finally:
        stop_plantao(started)
