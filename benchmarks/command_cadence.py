"""Status-update cadence reminders: how late they fire, and that none fires twice.

Run: .venv/bin/python benchmarks/command_cadence.py [--incidents 200] [--minutes 3] [--workers 2]

On PostgreSQL (a database created for the run and dropped after) it migrates, applies a config
whose severity matrix asks for an update every minute at the default severity (Sev2; the
shortest interval plantao.yaml allows), starts ``plantao serve --no-engine`` (production
settings) plus ``--workers`` ``plantao worker`` engines and a loopback webhook receiver, opens
``--incidents`` incidents through generic intake spread over ``--spread`` seconds, makes ``ana``
(a signed-webhook contact pointing at the receiver) their Comms Lead through the API, and posts
no update: every incident is reminded once a minute for ``--minutes`` minutes.

Figures:

- **reminder lateness**: the ``status_update.overdue`` timeline entry's time − the time the
  reminder was scheduled for (the due time, then one interval later each time): p50/p99/max,
  and the ``command.remind`` jobs' ``finished_at − due_at``;
- **duplicates**: reminders recorded twice for one incident and round (timeline), and
  notifications received twice (idempotency keys at the receiver); **losses**: reminders
  marked sent but never received.

Nothing is asserted; everything listens on 127.0.0.1; every process and database is stopped or
dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from harness import (
    default_postgres_url,
    figure,
    percentile,
    plantao_with_receiver,
    print_footer,
    print_header,
    run_cli,
)

KEY = "bench-cadence-key-0123456789abcdef"
SECRET = "bench-webhook-secret-0123456789"  # noqa: S105 - loopback test receiver


def config(hook: str) -> str:
    return f"""
version: 1
teams: [{{slug: sre, name: SRE, members: [ana]}}]
users:
  - handle: ana
    name: Ana
    contact_methods:
      - {{name: hook, type: webhook, address: "{hook}/remind", secret: {SECRET}}}
    notification_rules:
      - {{contact: hook, after: 0m}}
    throttle: {{limit: 1000, window: 1m}}
services:
  - {{slug: bench, name: Bench, team: sre}}
integrations:
  - {{slug: gen, name: Generic, kind: generic, service: bench, key: {KEY}}}
routes:
  - {{name: bench, matchers: ['bench="1"'], service: bench, group_by: [group], group_window: 1h}}
severity_matrix:
  default: sev2
  levels:
    - {{name: sev2, update_every_minutes: 1}}
"""


Received = tuple[float, str]


def received(arrived: float, path: str, headers: dict[str, str], body: bytes) -> Received:
    """(arrival, idempotency key) of a notification."""
    return arrived, headers.get("idempotency-key", "")


def open_incidents(base: str, count: int, spread: float) -> None:
    """One incident per generic-intake request, ``count`` of them over ``spread`` seconds."""
    start = time.monotonic()
    with httpx.Client(base_url=base, timeout=30.0) as client:
        for n in range(count):
            time.sleep(max(0.0, start + n * spread / count - time.monotonic()))
            body = {
                "title": f"cadence {n}",
                "dedup_key": f"c{n}",
                "severity": "error",
                "labels": {"bench": "1", "group": f"g{n}"},
            }
            answer = client.post(f"/api/v1/intake/{KEY}/generic", json=body)
            answer.raise_for_status()


def wait_for(database_url: str, sql: str, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(sql).fetchone()
            if row and int(row[0]) >= count:
                return
            time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {count}: {sql}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=3.0, help="reminder rounds to watch")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds to open them over")
    parser.add_argument("--workers", type=int, default=2, help="plantao worker engines")
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    print_header(
        "status-update cadence",
        f"PostgreSQL, serve --no-engine + {args.workers} worker(s), {args.incidents} incidents "
        f"at Sev2 with an update due every minute, opened over {args.spread:.0f} s, "
        f"watched {args.minutes:g} min; the Comms Lead's webhook is a loopback receiver",
    )
    with (
        tempfile.TemporaryDirectory(prefix="plantao-cadence-") as tmp,
        plantao_with_receiver(
            args.postgres_url,
            config,
            received,
            workdir=Path(tmp),
            serve_args=["--no-engine"],
            workers=args.workers,
            env={"PLANTAO_DB_POOL_SIZE": "10"},
        ) as (plantao, receiver),
    ):
        environment = {**os.environ, "PLANTAO_DATABASE_URL": plantao.database_url}
        run_cli(environment, Path(tmp), "demo", "admin")
        create = ("tokens", "create", "--user", "admin", "--scopes", "admin", "--name", "bench")
        token = run_cli(environment, Path(tmp), *create).strip().splitlines()[-1]
        open_incidents(plantao.base_url, args.incidents, args.spread)
        wait_for(plantao.database_url, "SELECT count(*) FROM update_cadences", args.incidents)
        with (
            psycopg.connect(plantao.database_url) as conn,
            httpx.Client(
                base_url=plantao.base_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30.0,
            ) as client,
        ):
            ids = [int(r[0]) for r in conn.execute("SELECT id FROM incidents ORDER BY id")]
            for incident_id in ids:
                client.put(
                    f"/api/v1/incidents/{incident_id}/roles/comms_lead", json={"user": "ana"}
                ).raise_for_status()
        opened_at = time.monotonic()
        time.sleep(max(0.0, args.minutes * 60 + args.spread - (time.monotonic() - opened_at)))
        time.sleep(5.0)  # the last round's deliveries
        with psycopg.connect(plantao.database_url) as conn:
            entries = conn.execute(
                "SELECT incident_id, EXTRACT(EPOCH FROM at), data FROM timeline_entries "
                "WHERE kind = 'status_update.overdue'"
            ).fetchall()
            jobs = [
                float(r[0])
                for r in conn.execute(
                    "SELECT EXTRACT(EPOCH FROM finished_at - due_at) FROM jobs "
                    "WHERE kind = 'command.remind' AND finished_at IS NOT NULL"
                )
            ]
            sent = {
                str(r[0])
                for r in conn.execute(
                    "SELECT idempotency_key FROM deliveries "
                    "WHERE kind = 'message' AND state = 'sent'"
                )
            }
            states: dict[str, int] = dict(
                conn.execute(
                    "SELECT state, count(*) FROM deliveries WHERE kind = 'message' GROUP BY state"
                ).fetchall()
            )
        seen = receiver.snapshot()

    lateness: list[float] = []
    rounds: Counter[tuple[int, int]] = Counter()
    for incident_id, at, data in entries:
        body: dict[str, Any] = data if isinstance(data, dict) else json.loads(data)
        scheduled = body.get("scheduled")
        if scheduled:
            lateness.append(float(at) - datetime.fromisoformat(scheduled).timestamp())
        rounds[(int(incident_id), int(body.get("reminder", 0)))] += 1
    timeline_duplicates = sum(n - 1 for n in rounds.values())
    keys = Counter(key for _, key in seen)
    received_duplicates = sum(n - 1 for n in keys.values())
    lost = len(sent - set(keys))

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}"

    figures = [
        ("reminders", f"{len(entries)} for {args.incidents} incidents"),
        (
            "lateness ms",
            f"p50 {ms(lateness, 0.5)}  p99 {ms(lateness, 0.99)}  max {ms(lateness, 1.0)}  "
            f"(n={len(lateness)})",
        ),
        (
            "job lateness ms",
            f"p50 {ms(jobs, 0.5)}  p99 {ms(jobs, 0.99)}  max {ms(jobs, 1.0)}  (n={len(jobs)})",
        ),
        (
            "duplicates",
            f"timeline {timeline_duplicates}  received {received_duplicates}  "
            f"(received {len(keys)} keys, sent {len(sent)}, lost {lost}, "
            f"outbox {dict(sorted(states.items()))})",
        ),
    ]
    for label, value in figures:
        print(figure(label, value, 16))
    print_footer()


if __name__ == "__main__":
    main()
