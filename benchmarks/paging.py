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
- **stages**: the median of each leg of a page (202 → incident applied → escalation started →
  paged → delivery sent → received), from the rows' timestamps.
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
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from harness import default_postgres_url, figure, percentile, plantao_with_receiver
from plantao.oncall import escalations

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


Received = tuple[float, str, str, dict[str, Any]]


def received(arrived: float, path: str, headers: dict[str, str], body: bytes) -> Received:
    """(arrival, path, idempotency key, JSON body) of a notification."""
    return arrived, path, headers.get("idempotency-key", ""), json.loads(body)


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
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()

    with plantao_with_receiver(
        args.postgres_url,
        config,
        received,
        workdir=Path(tempfile.mkdtemp(prefix="plantao-paging-")),
        # the engines are the --workers plantao worker processes
        serve_args=["--workers", str(args.serve_workers), "--no-engine"],
        workers=args.workers,
        log_name="serve.log",
        env={"PLANTAO_DB_POOL_SIZE": "20"},
    ) as (plantao, receiver):
        started = time.monotonic()
        commits, errors = asyncio.run(drive(plantao.base_url, args.seconds, args.rate, args.batch))
        intake_seconds = time.monotonic() - started
        drain_deadline = time.monotonic() + args.drain
        expected = 0
        # counts client-side timeouts too
        with psycopg.connect(plantao.database_url, autocommit=True) as conn:
            while time.monotonic() < drain_deadline:
                row = conn.execute("SELECT count(*) FROM incidents").fetchone()
                expected = 2 * int(row[0]) if row else 0
                if len({key for _, _, key, _ in receiver.snapshot()}) >= expected:
                    break
                time.sleep(0.25)
        seen = receiver.snapshot()

        with psycopg.connect(plantao.database_url) as conn:
            incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]  # type: ignore[index]
            job_lateness = [
                float(row[0])
                for row in conn.execute(
                    "SELECT EXTRACT(EPOCH FROM finished_at - due_at) FROM jobs "
                    "WHERE kind = %s AND finished_at IS NOT NULL",
                    (escalations.JOB_KIND,),
                )
            ]
            sent_keys = {
                str(r[0])
                for r in conn.execute("SELECT idempotency_key FROM deliveries WHERE state = 'sent'")
            }
            states: dict[str, int] = dict(
                conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()
            )
            # Where a page's time goes, per incident (server clocks; the same machine).
            stage_rows = conn.execute(
                "SELECT i.title, EXTRACT(EPOCH FROM i.triggered_at), "
                "EXTRACT(EPOCH FROM e.started_at), EXTRACT(EPOCH FROM min(p.paged_at)), "
                "EXTRACT(EPOCH FROM min(d.sent_at)) "
                "FROM incidents i JOIN oncall_escalations e ON e.incident_id = i.id "
                "JOIN oncall_pages p ON p.incident_id = i.id "
                "JOIN deliveries d ON d.incident_id = i.id AND d.state = 'sent' "
                "GROUP BY i.id, i.title, i.triggered_at, e.started_at"
            ).fetchall()

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
    stages: dict[str, list[float]] = {
        "202 → applied": [],
        "applied → escalation": [],
        "escalation → paged": [],
        "paged → sent": [],
        "sent → received": [],
    }
    for title, applied, escalated, paged, sent in stage_rows:
        match = re.search(r"bench g(\d+)", str(title))
        group = int(match.group(1)) if match else -1
        if group not in commits or group not in first_now:
            continue
        points = [commits[group], *(float(x) for x in (applied, escalated, paged, sent))]
        points.append(first_now[group])
        for name, a, b in zip(stages, points, points[1:], strict=False):
            stages[name].append(b - a)

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}"

    print(f"paging benchmark  PostgreSQL  {os.cpu_count()} CPUs  python {sys.version.split()[0]}")
    figures = [
        (
            "intake",
            f"{len(commits) * args.batch} alerts in {intake_seconds:.1f}s "
            f"= {len(commits) * args.batch / intake_seconds:.0f} alerts/s "
            f"({len(commits)} requests of {args.batch}, errors {errors}); incidents {incidents}",
        ),
        ("engines", f"serve + {args.workers} worker(s)"),
        (
            "page latency ms",
            f"p50 {ms(latency, 0.5)}  p99 {ms(latency, 0.99)}  max {ms(latency, 1.0)}  "
            f"(n={len(latency)})",
        ),
        (
            "timer lateness ms",
            f"notification rule +5s: p50 {ms(late, 0.5)}  p99 {ms(late, 0.99)} (n={len(late)}); "
            f"escalation jobs: p50 {ms(job_lateness, 0.5)}  p99 {ms(job_lateness, 0.99)} "
            f"(n={len(job_lateness)})",
        ),
        (
            "deliveries",
            f"expected {expected}  received {len(keys)}  duplicates {duplicates}  lost {lost}  "
            f"not yet sent at the end {unsent}  outbox {dict(sorted(states.items()))}",
        ),
    ]
    if latency:
        figures.append(("mean latency ms", f"{statistics.fmean(latency) * 1000:.0f}"))
    if stages["202 → applied"]:
        figures.append(
            (
                "stages p50 ms",
                "  ".join(f"{name} {ms(values, 0.5)}" for name, values in stages.items()),
            )
        )
    for label, value in figures:
        print(figure(label, value, 17))


if __name__ == "__main__":
    main()
