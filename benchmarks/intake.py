"""Alert intake throughput and latency of a real ``plantao serve``, beside Alertmanager's own.

Run: .venv/bin/python benchmarks/intake.py [--quick] [--backend sqlite|postgres|both]

For each backend (SQLite file; PostgreSQL in a database created for the run and dropped after)
it migrates, applies a config, starts ``plantao serve`` with production settings
(PLANTAO_ENV=production, a random secret key, log level warning) on a free loopback port, and
drives Alertmanager-format webhooks (payload version 4) with 1, 10 and 100 alerts each from
concurrent keep-alive connections: first N distinct alerts (the insert path: one new incident per
webhook, since every webhook carries its own groupKey), then the same webhooks again (the dedup
path: Alertmanager re-sending a group). When ``prometheus-alertmanager`` is installed it is started
on loopback and its own ``POST /api/v2/alerts`` is measured with the same batches, and Plantão's
ratio to it is printed.

The client is a minimal HTTP/1.1 keep-alive client on asyncio streams with pre-serialised bodies,
because the client shares the machine with the server; its CPU is measured and printed, with the
server's and (on PostgreSQL) the database backends'. Figures are printed in a fixed-width table;
nothing is asserted (tests assert behaviour, not time). Every phase has a deadline, everything
listens on 127.0.0.1 only, and every process and database started is stopped or dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import hashlib
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg

BATCH_SIZES = (1, 10, 100)
PATHS = ("insert", "dedup")
AM_KEY = "bench-am-key-0123456789abcdef"
CLK_TCK = os.sysconf("SC_CLK_TCK")
STARTUP_TIMEOUT = 60.0
REQUEST_TIMEOUT = 60.0  # a request slower than this counts as an error
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"

CONFIG = f"""
version: 1
teams: [{{slug: sre, name: SRE}}]
services:
  - {{slug: platform, name: Platform, team: sre}}
  - {{slug: checkout, name: Checkout, team: sre}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: platform, key: {AM_KEY}}}
routes:
  - name: checkout
    matchers: ['service="checkout"']
    service: checkout
    group_window: 1h
severity_matrix:
  default: sev3
"""

ALERTMANAGER_CONFIG = """
global:
  resolve_timeout: 5m
route:
  receiver: blackhole
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: blackhole
"""


# ---------------------------------------------------------------------------------------------
# Payloads


def _fingerprint(labels: dict[str, str]) -> str:
    blob = "\xff".join(f"{k}\xff{v}" for k, v in sorted(labels.items()))
    return hashlib.blake2b(blob.encode(), digest_size=8).hexdigest()


def _labels(run: str, batch: int, webhook: int, index: int) -> dict[str, str]:
    return {
        "alertname": f"Bench{run}B{batch}W{webhook}",
        "instance": f"host-{index}.bench.internal:9100",
        "job": "node",
        "service": "checkout" if webhook % 2 else "platform",
        "severity": "critical" if webhook % 5 == 0 else "warning",
        "team": "sre",
    }


def _annotations(labels: dict[str, str]) -> dict[str, str]:
    return {
        "summary": f"{labels['alertname']} on {labels['instance']}",
        "description": "Error budget burn above 14.4x over 1h and 5m windows.",
        "runbook_url": "https://runbooks.example.com/high-error-rate",
    }


# Alertmanager refuses alerts that start in the future: start them a few minutes ago.
STARTS_AT = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")


def plantao_bodies(run: str, batch: int, total: int) -> list[bytes]:
    """Alertmanager webhooks, one group (groupKey) per webhook, ``total`` distinct alerts."""
    bodies = []
    for webhook in range(total // batch):
        alerts = []
        for index in range(batch):
            labels = _labels(run, batch, webhook, index)
            alerts.append(
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": _annotations(labels),
                    "startsAt": STARTS_AT,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
                    "fingerprint": _fingerprint(labels),
                }
            )
        group = f"Bench{run}B{batch}W{webhook}"
        bodies.append(
            orjson.dumps(
                {
                    "version": "4",
                    "groupKey": f'{{}}:{{alertname="{group}"}}',
                    "truncatedAlerts": 0,
                    "status": "firing",
                    "receiver": "plantao",
                    "groupLabels": {"alertname": group},
                    "commonLabels": {"alertname": group, "job": "node", "team": "sre"},
                    "commonAnnotations": {},
                    "externalURL": "http://alertmanager:9093",
                    "alerts": alerts,
                }
            )
        )
    return bodies


def alertmanager_bodies(run: str, batch: int, total: int) -> list[bytes]:
    """The same alerts as Alertmanager's ``POST /api/v2/alerts`` takes them (a JSON list)."""
    bodies = []
    for webhook in range(total // batch):
        alerts = []
        for index in range(batch):
            labels = _labels(run, batch, webhook, index)
            alerts.append(
                {
                    "labels": labels,
                    "annotations": _annotations(labels),
                    "startsAt": STARTS_AT,
                    "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
                }
            )
        bodies.append(orjson.dumps(alerts))
    return bodies


# ---------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 keep-alive client: cheap on CPU, so the server gets the machine.


class HttpError(Exception):
    """The server answered something this client cannot read."""


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        reader, writer = await self._open()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "User-Agent: plantao-bench\r\n\r\n"
        ).encode()
        writer.write(head + body)
        await writer.drain()
        header_blob = await reader.readuntil(b"\r\n\r\n")
        lines = header_blob.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {lines[0]!r}")
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            payload = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            payload = b"".join(chunks)
        else:
            raise HttpError("response without Content-Length or chunked encoding")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


# ---------------------------------------------------------------------------------------------
# CPU accounting from /proc (the server, its database backends, this client)


def proc_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


@dataclass
class CpuProbe:
    """CPU seconds of a fixed process plus a changing set of processes (database backends)."""

    pid: int | None
    extra_pids: Any = None  # callable returning the current backend pids, or None
    engine_pids: Any = None  # callable returning the engine child's pid(s), or None

    def sample(self) -> dict[int, float]:
        pids: set[int] = set()
        if self.pid is not None:
            pids.add(self.pid)
        if self.extra_pids is not None:
            pids |= set(self.extra_pids())
        if self.engine_pids is not None:
            pids |= set(self.engine_pids())
        return {pid: proc_cpu_seconds(pid) for pid in pids}


def child_pids(parent: int) -> list[int]:
    """The engine child of ``plantao serve`` (``… worker``), not uvicorn's worker processes."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if int(stat[1]) == parent and b"worker" in argv:
                    found.append(int(entry.name))
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float], only: set[int]) -> float:
    return sum(after[p] - before.get(p, 0.0) for p in after if p in only)


# ---------------------------------------------------------------------------------------------
# What the engine has applied, read from the database


@dataclass
class StoreProbe:
    """Reads the inbox depth and alert totals straight from Plantão's database."""

    url: str  # sqlite:///path or postgresql://...

    def _one(self, sql: str) -> tuple[Any, ...]:
        if self.url.startswith("sqlite:///"):
            path = self.url.removeprefix("sqlite:///")
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                row = conn.execute(sql).fetchone()
            finally:
                conn.close()
        else:
            with psycopg.connect(self.url, autocommit=True) as pg:
                row = pg.execute(sql.encode()).fetchone()
        assert row is not None
        return tuple(row)

    def pending(self) -> int:
        return int(self._one("SELECT count(*) FROM intake_inbox WHERE state = 'pending'")[0])

    def totals(self) -> tuple[int, int, int]:
        """(alerts, sum of repeat counts, incidents)."""
        alerts, repeats, incidents = self._one(  # one statement: one snapshot of both tables
            "SELECT (SELECT count(*) FROM alerts), "
            "(SELECT coalesce(sum(repeat_count), 0) FROM alerts), "
            "(SELECT count(*) FROM incidents)"
        )
        return int(alerts), int(repeats), int(incidents)

    def wait_drained(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            time.sleep(0.05)
        return False


# ---------------------------------------------------------------------------------------------
# Driving a phase


@dataclass
class PhaseResult:
    target: str
    batch: int
    path: str
    webhooks: int = 0
    alerts: int = 0
    accepted: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0
    db_cpu: float | None = None
    engine_cpu: float | None = None
    client_cpu: float = 0.0
    complete: bool = True
    error_samples: list[str] = field(default_factory=list)
    applied_seconds: float | None = None  # phase start -> inbox empty (Plantão only)

    @property
    def applied_per_s(self) -> float | None:
        if self.applied_seconds is None or not self.applied_seconds:
            return None
        return self.accepted / self.applied_seconds

    @property
    def alerts_per_s(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0

    @property
    def webhooks_per_s(self) -> float:
        return self.webhooks / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def send_one(
    conn: Connection,
    path: str,
    body: bytes,
    result: PhaseResult,
    alerts_per_body: int,
    *,
    since: float,
    clock: Callable[[], float],
    expect_status: int,
    parse_accepted: bool,
) -> None:
    """One request, counted into ``result``; latency = ``clock()`` at the answer - ``since``."""
    try:
        status, payload = await asyncio.wait_for(conn.post(path, body), REQUEST_TIMEOUT)
    except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError) as exc:
        result.errors += 1
        if len(result.error_samples) < 3:
            result.error_samples.append(repr(exc))
        await conn.close()
        return
    result.latencies.append(clock() - since)
    if status != expect_status:
        result.errors += 1
        if len(result.error_samples) < 3:
            result.error_samples.append(f"{status} {payload[:200]!r}")
        return
    result.webhooks += 1
    result.alerts += alerts_per_body
    accepted = int(orjson.loads(payload)["accepted"]) if parse_accepted else alerts_per_body
    result.accepted += accepted


async def drive(
    host: str,
    port: int,
    path: str,
    bodies: Sequence[bytes],
    alerts_per_body: int,
    concurrency: int,
    deadline: float,
    result: PhaseResult,
    *,
    expect_status: int,
    parse_accepted: bool,
) -> None:
    queue: Iterator[bytes] = iter(bodies)

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            for body in queue:
                if time.monotonic() > deadline:
                    result.complete = False
                    return
                await send_one(
                    conn, path, body, result, alerts_per_body,
                    since=time.perf_counter(), clock=time.perf_counter,
                    expect_status=expect_status, parse_accepted=parse_accepted,
                )  # fmt: skip
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def drive_paced(
    host: str,
    port: int,
    path: str,
    bodies: Sequence[bytes],
    alerts_per_body: int,
    rate: float,
    connections: int,
    result: PhaseResult,
) -> None:
    """Open loop: request i is due at start + i/rate whatever came back before it.

    Latency runs from the time a request was due, not from when a connection was free, so a
    slow server cannot hide its queue by slowing the client down (no coordinated omission).
    Each connection is a worker that takes the next due request; the collector is off for the
    phase, because a collection pause in the client would be counted as server latency.
    """
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    upcoming = iter(enumerate(bodies))

    async def worker() -> None:
        conn = Connection(host, port)
        try:
            for index, body in upcoming:
                due = start + index / rate
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                await send_one(
                    conn, path, body, result, alerts_per_body,
                    since=due, clock=loop.time, expect_status=202, parse_accepted=True,
                )  # fmt: skip
        finally:
            await conn.close()

    gc.collect()
    gc.disable()
    try:
        await asyncio.gather(*(worker() for _ in range(connections)))
    finally:
        gc.enable()


def run_paced(
    target: str,
    port: int,
    path: str,
    bodies: Sequence[bytes],
    batch: int,
    phase: str,
    rate: float,
    store: StoreProbe,
    timeout: float,
) -> PhaseResult:
    result = PhaseResult(target, batch, f"{phase}@{rate:.0f}")
    started = time.perf_counter()
    asyncio.run(drive_paced("127.0.0.1", port, path, bodies, batch, rate, 128, result))
    result.seconds = time.perf_counter() - started
    if store.wait_drained(time.monotonic() + timeout):
        result.applied_seconds = time.perf_counter() - started
    else:
        result.complete = False
    return result


def run_phase(
    target: str,
    host: str,
    port: int,
    path: str,
    bodies: Sequence[bytes],
    batch: int,
    phase: str,
    *,
    concurrency: int,
    timeout: float,
    probe: CpuProbe,
    expect_status: int,
    parse_accepted: bool,
    store: StoreProbe | None = None,
) -> PhaseResult:
    result = PhaseResult(target, batch, phase)
    totals_before = store.totals() if store is not None else None
    before = probe.sample()
    client_before = time.process_time()
    started = time.perf_counter()
    asyncio.run(
        drive(
            host,
            port,
            path,
            bodies,
            batch,
            concurrency,
            time.monotonic() + timeout,
            result,
            expect_status=expect_status,
            parse_accepted=parse_accepted,
        )
    )
    result.seconds = time.perf_counter() - started
    result.client_cpu = time.process_time() - client_before
    after = probe.sample()
    if probe.pid is not None:
        result.server_cpu = cpu_delta(before, after, {probe.pid})
    engines = set(probe.engine_pids()) if probe.engine_pids is not None else set()
    if engines:
        result.engine_cpu = cpu_delta(before, after, engines)
    if probe.extra_pids is not None:
        result.db_cpu = cpu_delta(before, after, set(after) - {probe.pid} - engines)
    if store is not None and totals_before is not None:
        if store.wait_drained(time.monotonic() + timeout):
            result.applied_seconds = time.perf_counter() - started
        else:
            result.complete = False
        alerts, repeats, incidents = store.totals()
        result.outcomes.update(
            {
                "created": alerts - totals_before[0],
                "refreshed": repeats - totals_before[1],
                "incidents": incidents - totals_before[2],
            }
        )
        result.outcomes = +result.outcomes  # drop zeros
    return result


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plantao_command() -> list[str]:
    script = Path(sys.executable).parent / "plantao"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from plantao.cli.app import main; main()"]


def stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_http(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
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

    def backend_pids(self) -> list[int]:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.name,)
            ).fetchall()
        return [int(r[0]) for r in rows]


@dataclass
class Plantao:
    backend: str
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path
    database: PostgresDatabase | None
    url: str

    def stop(self) -> None:
        try:
            stop(self.process)
        finally:
            self.log.close()


def run_cli(env: dict[str, str], cwd: Path, *args: str) -> str:
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


def start_plantao(
    backend: str,
    workdir: Path,
    database: PostgresDatabase | None,
    workers: int = 1,
    engines: int = 2,
) -> Plantao:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'plantao.db'}"
    else:
        assert database is not None
        url = database.url
    port = free_port()
    env = {
        **os.environ,
        "PLANTAO_ENV": "production",
        "PLANTAO_SECRET_KEY": secrets.token_urlsafe(48),
        "PLANTAO_DATABASE_URL": url,
        "PLANTAO_BASE_URL": f"http://127.0.0.1:{port}",
        "PLANTAO_LOG_LEVEL": "WARNING",
    }
    run_cli(env, workdir, "migrate")
    config = workdir / "plantao.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    run_cli(env, workdir, "apply", "-f", str(config))
    log_path = workdir / f"plantao-{backend}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            *plantao_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers if backend == "postgres" else 1),
            "--engines",
            str(engines),
        ],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Plantao(backend, port, process, log, log_path, database, url)
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", process, log_path)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class Alertmanager:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path


def start_alertmanager(binary: str, workdir: Path) -> Alertmanager:
    (workdir / "am-data").mkdir(parents=True, exist_ok=True)
    config = workdir / "alertmanager.yml"
    config.write_text(ALERTMANAGER_CONFIG, encoding="utf-8")
    port = free_port()
    log_path = workdir / "alertmanager.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/-/ready", process, log_path)
    except BaseException:
        stop(process)
        raise
    return Alertmanager(port, process, log_path)


# ---------------------------------------------------------------------------------------------
# SQL statements per webhook, counted in-process (same app, same code path, no network)


def count_statements(
    database_url: str, samples: int = 20
) -> dict[tuple[int, str], tuple[float, float, float]]:
    """(batch, path) → statements and commits per webhook answered (one request at a time, so
    no group commit), then statements per webhook when the engine applies them one by one."""
    import warnings

    from sqlalchemy import event

    from plantao import migrations
    from plantao.api.app import create_app
    from plantao.config import Settings
    from plantao.configfile import service as config_service
    from plantao.configfile.schema import load_text
    from plantao.db import make_engine, make_sessionmaker, session_scope
    from plantao.engine.apply_inbox import InboxStep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    migrations.upgrade(database_url)
    engine = make_engine(database_url)
    with session_scope(make_sessionmaker(engine)) as session:
        config_service.apply(session, load_text(CONFIG))
    counts = Counter[str]()

    def on_statement(*_: Any) -> None:
        counts["statements"] += 1

    def on_commit(*_: Any) -> None:
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    settings = Settings(database_url=database_url, env="test", log_level="WARNING")
    out: dict[tuple[int, str], tuple[float, float, float]] = {}
    sessions = make_sessionmaker(engine)
    step = InboxStep(Settings(env="test", inbox_batch_requests=1))
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            for batch in BATCH_SIZES:
                bodies = plantao_bodies("count", batch, samples * batch)
                for phase in PATHS:
                    counts.clear()
                    for body in bodies:
                        answer = client.post(
                            f"/api/v1/intake/{AM_KEY}/alertmanager",
                            content=body,
                            headers={"content-type": "application/json"},
                        )
                        if answer.status_code != 202:
                            raise RuntimeError(f"count: {answer.status_code} {answer.text}")
                    accepted = counts["statements"] / len(bodies), counts["commits"] / len(bodies)
                    counts.clear()
                    while step(sessions, "count"):  # one entry per transaction, as when idle
                        pass
                    out[(batch, phase)] = (*accepted, counts["statements"] / len(bodies))
    finally:
        engine.dispose()
    return out


def print_statements(
    backend: str, counted: dict[tuple[int, str], tuple[float, float, float]]
) -> None:
    # On PostgreSQL the inbox insert runs on the writer's own psycopg connection, which
    # SQLAlchemy's events do not see: its statements are fixed, one group at a time.
    driver = "revision SELECT + INSERT + NOTIFY + COMMIT per group (driver level)"
    print(
        f"  {backend}: per webhook, statements/commits to accept + statements to apply "
        "(in-process count, one request at a time): "
        + "; ".join(
            f"{batch}x{phase} "
            + (f"{stmts:.0f}/{commits:.0f}" if stmts >= 0.5 else "[driver]")
            + f"+{applied:.0f}"
            for (batch, phase), (stmts, commits, applied) in counted.items()
        )
        + ("" if all(c[0] >= 0.5 for c in counted.values()) else f"; [driver] = {driver}"),
        flush=True,
    )


# ---------------------------------------------------------------------------------------------
# Reporting


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


HEADER = (
    f"{'target':<14}{'batch':>6} {'path':<12}{'webhooks':>9}{'alerts':>8}{'secs':>8}"
    f"{'alerts/s':>10}{'webhooks/s':>11}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}{'applied/s':>10}"
    f"{'srv cpu':>8}{'eng cpu':>8}{'db cpu':>7}{'cli cpu':>8}  outcomes"
)


def row(r: PhaseResult) -> str:
    def share(cpu: float | None) -> str:
        return "-" if cpu is None or not r.seconds else f"{100 * cpu / r.seconds:.0f}%"

    outcomes = ",".join(f"{k}={v}" for k, v in sorted(r.outcomes.items())) or "-"
    applied = "-" if r.applied_per_s is None else f"{r.applied_per_s:.0f}"
    flag = "" if r.complete else "  (INCOMPLETE: phase deadline hit)"
    return (
        f"{r.target:<14}{r.batch:>6} {r.path:<12}{r.webhooks:>9}{r.accepted:>8}{r.seconds:>8.1f}"
        f"{r.alerts_per_s:>10.0f}{r.webhooks_per_s:>11.0f}{r.pct(0.50):>8.1f}{r.pct(0.99):>8.1f}"
        f"{r.errors:>7}{applied:>10}{share(r.server_cpu):>8}{share(r.engine_cpu):>8}"
        f"{share(r.db_cpu):>7}{share(r.client_cpu):>8}"
        f"  {outcomes}{flag}"
    )


def print_ratios(results: list[PhaseResult]) -> None:
    reference = {(r.batch, r.path): r for r in results if r.target == "alertmanager"}
    if not reference:
        return
    print()
    print("Plantão alerts/s as a fraction of Alertmanager's own POST /api/v2/alerts:")
    print(f"{'target':<14}{'batch':>6} {'path':<12}{'plantao/s':>10}{'am/s':>10}{'ratio':>8}")
    for r in results:
        ref = reference.get((r.batch, r.path))
        if r.target == "alertmanager" or ref is None or not ref.alerts_per_s:
            continue
        print(
            f"{r.target:<14}{r.batch:>6} {r.path:<12}{r.alerts_per_s:>10.0f}"
            f"{ref.alerts_per_s:>10.0f}{r.alerts_per_s / ref.alerts_per_s:>8.2f}"
        )


# ---------------------------------------------------------------------------------------------
# Main


def bench_plantao(
    backend: str, args: argparse.Namespace, workdir: Path, run: str, emit: Any
) -> list[PhaseResult]:
    database = PostgresDatabase(args.postgres_url) if backend == "postgres" else None
    results: list[PhaseResult] = []
    if database is not None:
        database.create()
    server: Plantao | None = None
    try:
        server = start_plantao(backend, workdir, database, args.pg_workers, args.engines)
        pid = server.process.pid
        probe = CpuProbe(
            pid,
            database.backend_pids if database is not None else None,
            engine_pids=lambda: child_pids(pid),
        )
        target = f"plantao-{'pg' if backend == 'postgres' else 'sqlite'}"
        store = StoreProbe(server.url)
        path = f"/api/v1/intake/{AM_KEY}/alertmanager"
        warm = plantao_bodies(f"{run}warm", 1, 200)
        run_phase(
            "warmup", "127.0.0.1", server.port, path, warm, 1, "insert",
            concurrency=args.concurrency, timeout=60, probe=CpuProbe(None),
            expect_status=202, parse_accepted=True,
        )  # fmt: skip
        store.wait_drained(time.monotonic() + 60)
        for batch in args.batch_sizes:
            bodies = plantao_bodies(run, batch, args.alerts)
            for phase in PATHS:
                result = run_phase(
                    target, "127.0.0.1", server.port, path, bodies, batch, phase,
                    concurrency=args.concurrency, timeout=args.phase_timeout, probe=probe,
                    expect_status=202, parse_accepted=True, store=store,
                )  # fmt: skip
                results.append(result)
                emit(result)
        for batch, rate in args.paced:
            bodies = plantao_bodies(f"{run}p", batch, int(rate * batch * args.paced_seconds))
            for phase in PATHS:
                paced = run_paced(
                    target, server.port, path, bodies, batch, phase, rate, store,
                    args.phase_timeout,
                )  # fmt: skip
                results.append(paced)
                emit(paced)
    finally:
        if server is not None:
            print_commit_metrics(server.port)
            server.stop()
            errors = [
                line
                for line in server.log_path.read_text(errors="replace").splitlines()
                if '"level": "error"' in line or "Traceback" in line
            ]
            if errors:
                print(f"  {backend}: {len(errors)} error line(s) in the server log, e.g.:")
                for line in errors[:3]:
                    print(f"    {line[:300]}")
        if database is not None:
            database.drop()
    return results


def print_commit_metrics(port: int) -> None:
    """Group-commit figures from the server's /metrics: requests per inbox transaction, its time."""
    import httpx

    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except httpx.HTTPError:
        return
    values: dict[str, float] = {}
    for line in text.splitlines():
        for name in ("plantao_intake_commit_duration_seconds", "plantao_intake_commit_requests"):
            for suffix in ("_sum", "_count"):
                if line.startswith(name + suffix + " "):
                    values[name + suffix] = float(line.split()[1])
    batches = values.get("plantao_intake_commit_requests_count", 0.0)
    if batches:
        print(
            f"  group commit: {batches:.0f} inbox transactions, "
            f"{values['plantao_intake_commit_requests_sum'] / batches:.1f} requests each, "
            f"{1000 * values['plantao_intake_commit_duration_seconds_sum'] / batches:.1f} ms each",
            flush=True,
        )


def statements_for(backend: str, args: argparse.Namespace, workdir: Path) -> None:
    """Print SQL statements and commits per webhook, on a database of its own."""
    if backend == "sqlite":
        print_statements(backend, count_statements(f"sqlite:///{workdir / 'count.db'}"))
        return
    database = PostgresDatabase(args.postgres_url)
    database.create()
    try:
        print_statements(backend, count_statements(database.url))
    finally:
        database.drop()


def bench_alertmanager(
    binary: str, args: argparse.Namespace, workdir: Path, run: str, emit: Any
) -> list[PhaseResult]:
    am = start_alertmanager(binary, workdir)
    results: list[PhaseResult] = []
    try:
        probe = CpuProbe(am.process.pid)
        warm = alertmanager_bodies(f"{run}warm", 1, 200)
        run_phase(
            "warmup", "127.0.0.1", am.port, "/api/v2/alerts", warm, 1, "insert",
            concurrency=args.concurrency, timeout=60, probe=CpuProbe(None),
            expect_status=200, parse_accepted=False,
        )  # fmt: skip
        for batch in args.batch_sizes:
            bodies = alertmanager_bodies(run, batch, args.alerts)
            for phase in PATHS:
                result = run_phase(
                    "alertmanager", "127.0.0.1", am.port, "/api/v2/alerts", bodies, batch, phase,
                    concurrency=args.concurrency, timeout=args.phase_timeout, probe=probe,
                    expect_status=200, parse_accepted=False,
                )  # fmt: skip
                results.append(result)
                emit(result)
    finally:
        stop(am.process)
    return results


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 alerts per phase (smoke run)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--alerts", type=int, default=None, help="distinct alerts per phase")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument(
        "--phase-timeout", type=float, default=None, help="seconds before a phase is cut short"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("PLANTAO_BENCH_POSTGRES_URL")
        or os.environ.get("PLANTAO_TEST_POSTGRES_URL")
        or DEFAULT_PG,
        help="an existing database to connect to; the benchmark creates and drops its own",
    )
    parser.add_argument(
        "--no-alertmanager", action="store_true", help="skip the Alertmanager reference"
    )
    parser.add_argument(
        "--pg-workers",
        type=int,
        default=1,
        help="uvicorn worker processes on PostgreSQL (srv cpu then counts the parent only)",
    )
    parser.add_argument(
        "--engines", type=int, default=2, help="plantao serve --engines (PostgreSQL)"
    )
    parser.add_argument(
        "--batch-sizes",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        default=BATCH_SIZES,
        help="alerts per webhook, comma-separated (default 1,10,100)",
    )
    parser.add_argument(
        "--paced",
        type=lambda text: [
            (int(part.split("@")[0]), float(part.split("@")[1])) for part in text.split(",") if part
        ],
        default=[(1, 1000.0), (100, 100.0)],
        help="open-loop phases after the closed-loop ones, as BATCH@WEBHOOKS_PER_S, "
        "comma-separated (default 1@1000,100@100: the targets' load); '' for none",
    )
    parser.add_argument(
        "--paced-seconds", type=float, default=10.0, help="length of each paced phase"
    )
    args = parser.parse_args(argv)
    if args.alerts is None:
        args.alerts = 1_000 if args.quick else 20_000
    if args.phase_timeout is None:
        args.phase_timeout = 60.0 if args.quick else 600.0
    largest = max(BATCH_SIZES)
    args.alerts = max(largest, args.alerts - args.alerts % largest)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(f"# Plantão intake benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {machine()}")
    print(
        f"# {args.alerts} distinct alerts per phase, batches of {args.batch_sizes}, "
        f"{args.concurrency} keep-alive client connections, one groupKey per webhook; "
        "cpu columns are % of one core (srv = plantao serve, db = its PostgreSQL backends)"
    )
    print(f"# load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(HEADER, flush=True)

    def emit(result: PhaseResult) -> None:
        print(row(result), flush=True)
        for sample in result.error_samples:
            print(f"    error: {sample}", flush=True)

    run = uuid.uuid4().hex[:6]
    results: list[PhaseResult] = []
    with tempfile.TemporaryDirectory(prefix="plantao-bench-") as tmp:
        for backend in backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            try:
                results += bench_plantao(backend, args, workdir, run, emit)
                statements_for(backend, args, workdir)
            except (RuntimeError, psycopg.Error) as exc:
                print(f"{backend}: could not run: {exc}", flush=True)
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if args.no_alertmanager:
            pass
        elif binary is None:
            print("alertmanager: not installed; no reference figures")
        else:
            try:
                results += bench_alertmanager(binary, args, Path(tmp) / "am", run, emit)
            except RuntimeError as exc:
                print(f"alertmanager: could not run: {exc}", flush=True)
    print_ratios(results)
    print(f"# load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
