"""Paging latency under steady intake: alert committed → first notification received.

Run: .venv/bin/python benchmarks/paging.py [--seconds 30] [--rate 1000] [--workers 1]

On PostgreSQL (a database created for the run and dropped after) it migrates, applies a config
(one service with an escalation policy paging ``ana`` at once; ``ana`` has two signed-webhook
contact methods: ``now`` at once and ``late`` 5 s after the page), starts ``plantao serve
--no-engine`` (production settings) plus ``--workers`` ``plantao worker`` engines (default 2, as
``serve`` alone would start on PostgreSQL), and a loopback webhook receiver. A client then
sends generic-intake batches at a steady rate (default 10 requests/s × 100 alerts = 1,000
alerts/s for 30 s); each batch's alerts share a ``group`` label, so each batch opens one
incident (the route groups by ``group``).

Figures:

- **page latency**: receiver arrival of the ``now`` notification − the moment the intake
  request that opened the incident got its 202 (sent after commit): p50/p99/max. This spans
  inbox commit → the engine applying it (incident, escalation job) → ``page_user`` → outbox →
  delivery step → HTTP.
- **timer lateness**: arrival of the ``late`` notification − (page time + 5 s); and escalation
  jobs' ``finished_at − due_at`` from the database.
- **duplicates** (idempotency keys received more than once) and **losses** (expected keys
  never received after a drain period).

Nothing is asserted; everything listens on 127.0.0.1; every process and database is stopped or
dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
KEY = "bench-gen-key-0123456789abcdef"
SECRET = "bench-webhook-secret-0123456789"  # noqa: S105 - loopback test receiver
LATE_SECONDS = 5.0


def config(hook: str) -> str:
    return f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - handle: ana
    name: Ana
    email: ana@example.com
    contact_methods:
      - {{name: now, type: webhook, address: "{hook}/now", secret: {SECRET}}}
      - {{name: late, type: webhook, address: "{hook}/late", secret: {SECRET}}}
    notification_rules:
      - {{contact: now, after: 0m}}
      - {{contact: late, after: {int(LATE_SECONDS)}s}}
    throttle: {{limit: 1000, window: 1m}}
services:
  - {{slug: bench, name: Bench, team: sre, escalation_policy: primary}}
integrations:
  - {{slug: gen, name: Generic, kind: generic, service: bench, key: {KEY}}}
routes:
  - {{name: bench, matchers: ['bench="1"'], service: bench, group_by: [group], group_window: 1h}}
escalation_policies:
  - {{slug: primary, name: Primary, steps: [{{delay: 0m, targets: [{{user: ana}}]}}]}}
severity_matrix:
  default: sev1
"""


class Receiver:
    """Threaded loopback HTTP receiver recording (arrival, path, key, body)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[tuple[float, str, str, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived = time.time()
                with receiver.lock:
                    receiver.seen.append(
                        (
                            arrived,
                            self.path,
                            self.headers.get("Idempotency-Key", ""),
                            json.loads(body),
                        )
                    )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def snapshot(self) -> list[tuple[float, str, str, dict[str, Any]]]:
        with self.lock:
            return list(self.seen)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plantao() -> list[str]:
    script = Path(sys.executable).parent / "plantao"
    return [str(script)] if script.exists() else [sys.executable, "-m", "plantao.cli.app"]


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def drive(base: str, seconds: float, rate: int, batch: int) -> tuple[dict[int, float], int]:
    """Send batches at a steady schedule; returns group → 202 time, and the error count."""
    interval = batch / rate
    commits: dict[int, float] = {}
    errors = 0
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:

        async def one(group: int) -> None:
            nonlocal errors
            body = {
                "alerts": [
                    {
                        "title": f"bench g{group}",
                        "dedup_key": f"g{group}-a{i}",
                        "severity": "critical",
                        "labels": {"bench": "1", "group": f"g{group}", "n": str(i)},
                    }
                    for i in range(batch)
                ]
            }
            try:
                answer = await client.post(f"/api/v1/intake/{KEY}/generic", json=body)
            except httpx.HTTPError:
                errors += 1
                return
            if answer.status_code == 202:
                commits[group] = time.time()
            else:
                errors += 1

        start = time.monotonic()
        tasks = []
        group = 0
        while time.monotonic() - start < seconds:
            due = start + group * interval
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(group)))
            group += 1
        await asyncio.gather(*tasks)
    return commits, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=1000, help="alerts per second")
    parser.add_argument("--batch", type=int, default=100, help="alerts per request (one incident)")
    parser.add_argument(
        "--workers", type=int, default=2, help="plantao worker engines (serve: --no-engine)"
    )
    parser.add_argument(
        "--serve-workers", type=int, default=1, help="uvicorn processes of plantao serve"
    )
    parser.add_argument("--drain", type=float, default=60.0, help="max wait for stragglers")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("PLANTAO_TEST_POSTGRES_URL") or DEFAULT_PG
    )
    args = parser.parse_args()

    name = f"plantao_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    url = f"{args.postgres_url.rpartition('/')[0]}/{name}"
    receiver = Receiver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PLANTAO_ENV": "production",
        "PLANTAO_SECRET_KEY": secrets.token_urlsafe(32),
        "PLANTAO_DATABASE_URL": url,
        "PLANTAO_BASE_URL": base,
        "PLANTAO_LOG_LEVEL": "WARNING",
        "PLANTAO_DB_POOL_SIZE": "20",
    }
    workdir = Path(tempfile.mkdtemp(prefix="plantao-paging-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([*plantao(), "migrate"], env=env, check=True, capture_output=True)
        (workdir / "plantao.yaml").write_text(config(receiver.url))
        subprocess.run(
            [*plantao(), "apply", "-f", str(workdir / "plantao.yaml")],
            env=env,
            check=True,
            capture_output=True,
        )
        log = (workdir / "serve.log").open("wb")
        processes.append(
            subprocess.Popen(
                [
                    *plantao(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(args.serve_workers),
                    "--no-engine",  # the engines are the --workers plantao worker processes
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        for _ in range(args.workers):
            processes.append(
                subprocess.Popen(
                    [*plantao(), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("plantao serve did not become ready")
            time.sleep(0.2)

        started = time.monotonic()
        commits, errors = asyncio.run(drive(base, args.seconds, args.rate, args.batch))
        intake_seconds = time.monotonic() - started
        drain_deadline = time.monotonic() + args.drain
        with psycopg.connect(url, autocommit=True) as conn:  # counts client-side timeouts too
            while time.monotonic() < drain_deadline:
                row = conn.execute("SELECT count(*) FROM incidents").fetchone()
                expected = 2 * int(row[0]) if row else 0
                if len({key for _, _, key, _ in receiver.snapshot()}) >= expected:
                    break
                time.sleep(0.25)
        seen = receiver.snapshot()

        with psycopg.connect(url) as conn:
            incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]  # type: ignore[index]
            job_lateness = [
                float(row[0])
                for row in conn.execute(
                    "SELECT EXTRACT(EPOCH FROM finished_at - due_at) FROM jobs "
                    "WHERE kind = 'oncall.escalate' AND finished_at IS NOT NULL"
                )
            ]
            sent_keys = {
                str(r[0])
                for r in conn.execute("SELECT idempotency_key FROM deliveries WHERE state = 'sent'")
            }
            states: dict[str, int] = dict(
                conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
            )
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        receiver.server.shutdown()
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())

    keys = Counter(key for _, _, key, _ in seen)
    lost = len(sent_keys - set(keys))  # marked sent but never received
    unsent = sum(n for state, n in states.items() if state != "sent")
    duplicates = sum(n - 1 for n in keys.values())
    first_now: dict[int, float] = {}
    late: list[float] = []
    for arrived, path, _, body in seen:
        match = re.search(r"bench g(\d+)", body.get("subject", ""))
        if match is None:
            continue
        group = int(match.group(1))
        if path == "/now":
            first_now[group] = min(arrived, first_now.get(group, arrived))
        elif path == "/late" and body.get("created_at"):
            paged = datetime.fromisoformat(body["created_at"]).timestamp()
            late.append(arrived - (paged + LATE_SECONDS))
    latency = [first_now[g] - t for g, t in commits.items() if g in first_now]
    ms = 1000.0
    print(f"paging benchmark  PostgreSQL  {os.cpu_count()} CPUs  python {sys.version.split()[0]}")
    print(
        f"intake            {len(commits) * args.batch} alerts in {intake_seconds:.1f}s "
        f"= {len(commits) * args.batch / intake_seconds:.0f} alerts/s "
        f"({len(commits)} requests of {args.batch}, errors {errors}); incidents {incidents}"
    )
    print(f"engines           serve + {args.workers} worker(s)")
    print(
        f"page latency ms   p50 {pct(latency, 0.5) * ms:.0f}  p99 {pct(latency, 0.99) * ms:.0f}  "
        f"max {max(latency, default=float('nan')) * ms:.0f}  (n={len(latency)})"
    )
    print(
        f"timer lateness ms notification rule +5s: p50 {pct(late, 0.5) * ms:.0f}  "
        f"p99 {pct(late, 0.99) * ms:.0f} (n={len(late)}); escalation jobs: "
        f"p50 {pct(job_lateness, 0.5) * ms:.0f}  p99 {pct(job_lateness, 0.99) * ms:.0f} "
        f"(n={len(job_lateness)})"
    )
    print(
        f"deliveries        expected {expected}  received {len(keys)}  "
        f"duplicates {duplicates}  lost {lost}  not yet sent at the end {unsent}  "
        f"outbox {dict(sorted(states.items()))}"
    )
    if latency:
        print(f"mean latency ms   {statistics.fmean(latency) * ms:.0f}")


if __name__ == "__main__":
    main()
