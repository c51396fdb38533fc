"""The intake benchmark's phases: payloads, driving a phase, and what it measured.

A phase sends pre-serialised webhooks over keep-alive connections, closed loop (``run_phase``:
each connection sends its next webhook when the previous one is answered) or open loop
(``run_paced``: request i is due at start + i/rate). It measures the answers (``PhaseResult``),
the CPU of the server, its engines and its PostgreSQL backends from ``/proc`` (``CpuProbe``), and
what the engine applied, read from the database (``StoreProbe``). ``row`` prints a result in the
table ``benchmarks/intake.py`` prints (and the README keeps).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psycopg

from harness import LOOPBACK, percentile
from loadgen import (
    GENERATOR_URL,
    STARTS_AT,
    Connection,
    Tally,
    exchange,
    webhook_alert,
    webhook_body,
)

BATCH_SIZES = (1, 10, 100)
PATHS = ("insert", "dedup")
AM_KEY = "bench-am-key-0123456789abcdef"
PLANTAO_PATH = f"/api/v1/intake/{AM_KEY}/alertmanager"
CLK_TCK = os.sysconf("SC_CLK_TCK")

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


# ---------------------------------------------------------------------------------------------
# Payloads


def _alerts(run: str, batch: int, total: int) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """(group name, labels of its ``batch`` alerts) per webhook, ``total`` distinct alerts."""
    for webhook in range(total // batch):
        group = f"Bench{run}B{batch}W{webhook}"
        yield (
            group,
            [
                {
                    "alertname": group,
                    "instance": f"host-{index}.bench.internal:9100",
                    "job": "node",
                    "service": "checkout" if webhook % 2 else "platform",
                    "severity": "critical" if webhook % 5 == 0 else "warning",
                    "team": "sre",
                }
                for index in range(batch)
            ],
        )


def _annotations(labels: dict[str, str]) -> dict[str, str]:
    return {
        "summary": f"{labels['alertname']} on {labels['instance']}",
        "description": "Error budget burn above 14.4x over 1h and 5m windows.",
        "runbook_url": "https://runbooks.example.com/high-error-rate",
    }


def plantao_bodies(run: str, batch: int, total: int) -> list[bytes]:
    """Alertmanager webhooks, one group (groupKey) per webhook, ``total`` distinct alerts."""
    return [
        webhook_body(
            f'{{}}:{{alertname="{group}"}}',
            {"alertname": group},
            {"alertname": group, "job": "node", "team": "sre"},
            [webhook_alert(labels, _annotations(labels)) for labels in alerts],
        )
        for group, alerts in _alerts(run, batch, total)
    ]


def alertmanager_bodies(run: str, batch: int, total: int) -> list[bytes]:
    """The same alerts as Alertmanager's ``POST /api/v2/alerts`` takes them (a JSON list)."""
    return [
        orjson.dumps(
            [
                {
                    "labels": labels,
                    "annotations": _annotations(labels),
                    "startsAt": STARTS_AT,
                    "generatorURL": GENERATOR_URL,
                }
                for labels in alerts
            ]
        )
        for _, alerts in _alerts(run, batch, total)
    ]


# ---------------------------------------------------------------------------------------------
# CPU accounting from /proc (the server, its engines, its database backends)


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
class PhaseResult(Tally):
    target: str
    batch: int
    path: str
    webhooks: int = 0
    alerts: int = 0
    accepted: int = 0
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    server_cpu: float = 0.0
    db_cpu: float | None = None
    engine_cpu: float | None = None
    client_cpu: float = 0.0
    complete: bool = True
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
        return percentile(self.latencies, q, method="rank") * 1000


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
    payload = await exchange(
        conn, path, body, result, since=since, clock=clock, ok=lambda s: s == expect_status
    )
    if payload is None:
        return
    result.webhooks += 1
    result.alerts += alerts_per_body
    accepted = int(orjson.loads(payload)["accepted"]) if parse_accepted else alerts_per_body
    result.accepted += accepted


async def drive(
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
        conn = Connection(LOOPBACK, port)
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
        conn = Connection(LOOPBACK, port)
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
    bodies: Sequence[bytes],
    batch: int,
    phase: str,
    rate: float,
    store: StoreProbe,
    timeout: float,
) -> PhaseResult:
    result = PhaseResult(target, batch, f"{phase}@{rate:.0f}")
    started = time.perf_counter()
    asyncio.run(drive_paced(port, PLANTAO_PATH, bodies, batch, rate, 128, result))
    result.seconds = time.perf_counter() - started
    if store.wait_drained(time.monotonic() + timeout):
        result.applied_seconds = time.perf_counter() - started
    else:
        result.complete = False
    return result


def run_phase(
    target: str,
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
# The table


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
