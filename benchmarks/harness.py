"""What every benchmark shares: Plantão processes, ports, databases, receivers and figures.

The scripts run as ``.venv/bin/python benchmarks/<name>.py``, so this directory is on
``sys.path`` and they ``import harness``; nothing here imports a benchmark (nor ``tests/``,
whose e2e fixtures start processes their own way). The load client and the Alertmanager
payloads are in ``loadgen.py``.

- :func:`start_plantao` migrates a database, applies a ``plantao.yaml``, starts ``plantao
  serve`` with production settings on a free loopback port (plus any ``plantao worker``
  engines) and waits for ``/readyz``; :meth:`Plantao.stop` ends them with SIGTERM, then SIGKILL
  after a deadline. :class:`PostgresDatabase` is a database created for one run, dropped after.
- :class:`Receiver` is a threaded loopback HTTP sink for webhook contact methods; it records
  each POST through a function of the benchmark's choosing. :func:`plantao_with_receiver`
  puts the three together on PostgreSQL.
- :func:`percentile`, the ``# …`` header and footer and :func:`figure` lines: the printed
  format is compared between runs (benchmarks/README.md), so it does not change casually.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

import psycopg

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
STARTUP_TIMEOUT = 60.0  # seconds for a process to answer its readiness URL
LOOPBACK = "127.0.0.1"

T = TypeVar("T")


def default_postgres_url() -> str:
    """The database ``--postgres-url`` defaults to (only used to create and drop one's own)."""
    return (
        os.environ.get("PLANTAO_BENCH_POSTGRES_URL")
        or os.environ.get("PLANTAO_TEST_POSTGRES_URL")
        or DEFAULT_PG
    )


# ---------------------------------------------------------------------------------------------
# Ports and processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def plantao_command() -> list[str]:
    script = Path(sys.executable).parent / "plantao"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from plantao.cli.app import main; main()"]


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    """``plantao ARGS`` to completion; its output, or RuntimeError with it."""
    done = subprocess.run(
        [*plantao_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"plantao {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def stop_all(processes: Sequence[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    """SIGTERM to each (the last started first), then SIGKILL to any still running after
    ``timeout`` seconds."""
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    stop_all([process], timeout)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until ``url`` answers 200; RuntimeError with the log's tail if ``process`` exits first or
    the startup timeout passes."""
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {STARTUP_TIMEOUT}s:\n{tail(log)}")


@dataclass
class PostgresDatabase:
    """A database of its own, created through ``admin_url`` (an existing one) and dropped after
    (``with PostgresDatabase(url) as database:`` does both)."""

    admin_url: str
    name: str = field(default_factory=lambda: f"plantao_bench_{uuid.uuid4().hex[:10]}")

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

    def __enter__(self) -> PostgresDatabase:
        self.create()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.drop()

    def backend_pids(self) -> list[int]:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,)
            ).fetchall()
        return [int(r[0]) for r in rows]


@dataclass
class Plantao:
    """A running installation: ``plantao serve`` (``processes[0]``) and its ``plantao worker``s,
    all writing to one log."""

    database_url: str
    port: int
    log_path: Path
    log: IO[bytes]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def server(self) -> subprocess.Popen[bytes]:
        return self.processes[0]

    def stop(self) -> None:
        try:
            stop_all(self.processes)
        finally:
            self.log.close()

    def __enter__(self) -> Plantao:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_plantao(
    database_url: str,
    workdir: Path,
    config: str,
    *,
    serve_args: Sequence[str] = (),
    workers: int = 0,
    log_name: str = "plantao.log",
    env: dict[str, str] | None = None,
) -> Plantao:
    """Migrate, apply ``config`` (a plantao.yaml), start ``plantao serve SERVE_ARGS`` and
    ``workers`` × ``plantao worker`` with production settings (PLANTAO_ENV=production, a random
    secret key, log level warning, plus ``env``) and wait until ``/readyz`` answers."""
    port = free_port()
    environment = {
        **os.environ,
        "PLANTAO_ENV": "production",
        "PLANTAO_SECRET_KEY": secrets.token_urlsafe(48),
        "PLANTAO_DATABASE_URL": database_url,
        "PLANTAO_BASE_URL": f"http://{LOOPBACK}:{port}",
        "PLANTAO_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    run_cli(environment, workdir, "migrate")
    (workdir / "plantao.yaml").write_text(config, encoding="utf-8")
    run_cli(environment, workdir, "apply", "-f", str(workdir / "plantao.yaml"))
    log_path = workdir / log_name
    installation = Plantao(database_url, port, log_path, log_path.open("wb"))
    serve = [*plantao_command(), "serve", "--host", LOOPBACK, "--port", str(port), *serve_args]
    commands = [serve] + [[*plantao_command(), "worker"] for _ in range(workers)]
    try:
        for command in commands:
            installation.processes.append(
                subprocess.Popen(
                    command,
                    env=environment,
                    cwd=workdir,
                    stdout=installation.log,
                    stderr=subprocess.STDOUT,
                )
            )
        wait_http(f"{installation.base_url}/readyz", installation.server, log_path)
    except BaseException:
        installation.stop()
        raise
    return installation


# ---------------------------------------------------------------------------------------------
# A loopback HTTP receiver (webhook contact methods point at it)


class Receiver(Generic[T]):
    """Answers every POST 200 at once and keeps ``record(arrival time, path, headers with
    lower-case names, body)`` of each, in arrival order."""

    def __init__(self, record: Callable[[float, str, dict[str, str], bytes], T]) -> None:
        self.lock = threading.Lock()
        self.seen: list[T] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived = time.time()
                headers = {name.lower(): value for name, value in self.headers.items()}
                item = record(arrived, self.path, headers, body)
                with receiver.lock:
                    receiver.seen.append(item)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server((LOOPBACK, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://{LOOPBACK}:{self.server.server_address[1]}"

    def snapshot(self) -> list[T]:
        with self.lock:
            return list(self.seen)

    def __enter__(self) -> Receiver[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def plantao_with_receiver(
    admin_url: str,
    config: Callable[[str], str],
    record: Callable[[float, str, dict[str, str], bytes], T],
    *,
    workdir: Path,
    serve_args: Sequence[str],
    workers: int,
    log_name: str = "plantao.log",
    env: dict[str, str] | None = None,
) -> Iterator[tuple[Plantao, Receiver[T]]]:
    """Plantão on a PostgreSQL database of its own, configured by ``config(receiver URL)`` to
    page a :class:`Receiver` keeping ``record(...)`` of each notification; every process is
    stopped, the receiver closed and the database dropped on the way out."""
    with (
        PostgresDatabase(admin_url) as database,
        Receiver(record) as receiver,
        start_plantao(
            database.url,
            workdir,
            config(receiver.url),
            serve_args=serve_args,
            workers=workers,
            log_name=log_name,
            env=env,
        ) as plantao,
    ):
        yield plantao, receiver


# ---------------------------------------------------------------------------------------------
# Figures


def percentile(
    values: Sequence[float], q: float, *, method: Literal["nearest", "rank"] = "nearest"
) -> float:
    """The ``q`` quantile (0–1) of ``values``, nan when there are none.

    ``nearest``: the sorted value at round(q·(n−1)) (paging, storm); ``rank``: the one at
    ⌊q·n⌋ (intake's and runbooks' tables). Each script keeps the one its published figures
    were computed with, so runs stay comparable.
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = round(q * (len(ordered) - 1)) if method == "nearest" else int(q * len(ordered))
    return ordered[min(len(ordered) - 1, index)]


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    ram = "?"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return (
        f"nproc={os.cpu_count()}, CPU: {model}, RAM: {ram}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def print_header(title: str, setup: str, load_at_start: str | None = None) -> None:
    """``# Plantão TITLE, date``, the machine, ``# SETUP`` and the load average at the start."""
    print(f"# Plantão {title}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {machine()}")
    print(f"# {setup}")
    print(f"# load average at the start: {load_at_start or load_average()}", flush=True)


def print_footer() -> None:
    print(f"# load average at the end: {load_average()}", flush=True)


def figure(label: str, value: object, width: int) -> str:
    """One figure per line: the label padded to ``width``, a space, the value."""
    return f"{label:<{width}} {value}"
