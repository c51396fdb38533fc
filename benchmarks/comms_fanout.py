"""Status-update fan-out: from posting an update to every stakeholder having it, and none twice.

Run: .venv/bin/python benchmarks/comms_fanout.py [--stakeholders 50] [--updates 20] [--workers 2]

On PostgreSQL (a database created for the run and dropped after) it migrates, applies a config
with ``--stakeholders`` global stakeholders (four in five signed generic webhooks, one in five
Mattermost-style incoming webhooks, every one its own path on a loopback receiver, half in
English and half in Portuguese), starts ``plantao serve --no-engine`` (production settings)
plus ``--workers`` ``plantao worker`` engines (two engines race for every update), opens
``--incidents`` Sev1 incidents through generic intake and posts ``--updates`` status updates
through ``POST /api/v1/incidents/{ref}/status-updates``, one every ``--interval`` seconds,
round-robin over the incidents, ``--settle`` seconds after the incidents opened (their own
work, escalation and runbook linking, is done before the clock starts). Each update's impact
names it (``bench-update-N``).

Figures:

- **delivered**: arrival at the receiver − the moment the POST of its update was sent, for
  every (update, stakeholder): p50/p99/max; and per update the time until the *last* of its
  stakeholders had it (target p99 < 2 s);
- **duplicates** ((update, stakeholder) received more than once; must be 0) and **losses**
  (expected but never received after a drain period).

At most 20 updates reach one address per 15 minutes (``notify.addressed``): more than 20
``--updates`` measure the throttle, not the fan-out. Nothing is asserted; everything listens
on 127.0.0.1; every process and database is stopped or dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

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

KEY = "bench-comms-key-0123456789abcdef"
SECRET = "bench-webhook-secret-0123456789"  # noqa: S105 - loopback test receiver
_UPDATE = re.compile(r"bench-update-(\d+)")


def config_for(stakeholders: int) -> Callable[[str], str]:
    def config(hook: str) -> str:
        lines = []
        for n in range(stakeholders):
            language = "pt-BR" if n % 2 else "en"
            if n % 5 == 4:
                lines.append(
                    f"  - {{name: s{n}, kind: mattermost, address: '{hook}/s{n}', "
                    f"language: {language}}}"
                )
            else:
                lines.append(
                    f"  - {{name: s{n}, kind: webhook, address: '{hook}/s{n}', "
                    f"secret: {SECRET}, language: {language}}}"
                )
        listed = "\n".join(lines)
        return f"""
version: 1
teams: [{{slug: sre, name: SRE}}]
services:
  - {{slug: bench, name: Bench, team: sre}}
integrations:
  - {{slug: gen, name: Generic, kind: generic, service: bench, key: {KEY}}}
routes:
  - {{name: bench, matchers: ['bench="1"'], service: bench, group_by: [group], group_window: 1h}}
severity_matrix:
  default: sev1
stakeholders:
{listed}
"""

    return config


Received = tuple[float, str, int]


def received(arrived: float, path: str, headers: dict[str, str], body: bytes) -> Received:
    """(arrival, path = the stakeholder, the update's number) of a message."""
    text = str(json.loads(body).get("text", ""))
    found = _UPDATE.search(text)
    return arrived, path, int(found.group(1)) if found else -1


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
    parser.add_argument("--stakeholders", type=int, default=50)
    parser.add_argument("--incidents", type=int, default=5)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between updates")
    parser.add_argument("--workers", type=int, default=2, help="plantao worker engines")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds between opening and the first update"
    )
    parser.add_argument("--drain", type=float, default=30.0, help="max wait for stragglers")
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    print_header(
        "status-update fan-out",
        f"PostgreSQL, serve --no-engine + {args.workers} worker(s), {args.stakeholders} "
        f"global stakeholders (webhook/Mattermost on a loopback receiver, en/pt-BR), "
        f"{args.updates} updates on {args.incidents} Sev1 incidents, one every "
        f"{args.interval:g} s",
    )
    posted: dict[int, float] = {}
    with (
        tempfile.TemporaryDirectory(prefix="plantao-comms-") as tmp,
        plantao_with_receiver(
            args.postgres_url,
            config_for(args.stakeholders),
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
        with httpx.Client(
            base_url=plantao.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        ) as client:
            for n in range(args.incidents):
                body = {
                    "title": f"fan-out {n}",
                    "dedup_key": f"f{n}",
                    "severity": "critical",
                    "labels": {"bench": "1", "group": f"g{n}"},
                }
                client.post(f"/api/v1/intake/{KEY}/generic", json=body).raise_for_status()
            wait_for(plantao.database_url, "SELECT count(*) FROM incidents", args.incidents)
            with psycopg.connect(plantao.database_url) as conn:
                refs = [str(r[0]) for r in conn.execute("SELECT human_id FROM incidents")]
            # The incidents' own work (reactions, runbook linking, the cadence timers) and the
            # engines' first sends happen before the clock starts: this measures fan-out.
            time.sleep(args.settle)
            start = time.monotonic()
            for n in range(args.updates):
                time.sleep(max(0.0, start + n * args.interval - time.monotonic()))
                ref = refs[n % len(refs)]
                payload = {"status": "investigating", "impact": f"bench-update-{n} checkout"}
                posted[n] = time.time()
                client.post(
                    f"/api/v1/incidents/{ref}/status-updates", json=payload
                ).raise_for_status()
        expected = args.updates * args.stakeholders
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            if len({(p, u) for _, p, u in receiver.snapshot()}) >= expected:
                break
            time.sleep(0.2)
        time.sleep(2.0)  # a duplicate would arrive within the engines' next cycles
        seen = receiver.snapshot()
        with psycopg.connect(plantao.database_url) as conn:
            states: dict[str, int] = dict(
                conn.execute(
                    "SELECT state, count(*) FROM deliveries WHERE kind = 'message' GROUP BY state"
                ).fetchall()
            )
            # Where an update's time goes (server clocks, the same machine): posted → fanned
            # out (outbox rows written) → the last of its messages sent.
            stage_rows = conn.execute(
                "SELECT EXTRACT(EPOCH FROM u.fanned_out_at - u.posted_at), "
                "EXTRACT(EPOCH FROM max(d.sent_at) - u.fanned_out_at), "
                "EXTRACT(EPOCH FROM min(d.sent_at) - u.fanned_out_at) "
                "FROM status_updates u JOIN deliveries d "
                "ON d.step = 'update:' || u.id AND d.kind = 'message' "
                "GROUP BY u.id, u.posted_at, u.fanned_out_at"
            ).fetchall()

    stages = {
        "posted → fanned out": [float(r[0]) for r in stage_rows if r[0] is not None],
        "fanned out → first sent": [float(r[2]) for r in stage_rows if r[2] is not None],
        "fanned out → last sent": [float(r[1]) for r in stage_rows if r[1] is not None],
    }
    pairs = Counter((path, update) for _, path, update in seen if update >= 0)
    duplicates = sum(n - 1 for n in pairs.values())
    first: dict[tuple[str, int], float] = {}
    for arrived, path, update in seen:
        if update in posted:
            first[(path, update)] = min(arrived, first.get((path, update), arrived))
    each = [arrived - posted[update] for (_, update), arrived in first.items()]
    last: dict[int, float] = {}
    for (_, update), arrived in first.items():
        last[update] = max(arrived - posted[update], last.get(update, 0.0))
    complete = [
        v for u, v in last.items() if sum(1 for p in first if p[1] == u) == args.stakeholders
    ]

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.0f}"

    figures = [
        (
            "delivered ms",
            f"p50 {ms(each, 0.5)}  p99 {ms(each, 0.99)}  max {ms(each, 1.0)}  (n={len(each)})",
        ),
        (
            "all of an update",
            f"p50 {ms(complete, 0.5)}  p99 {ms(complete, 0.99)}  max {ms(complete, 1.0)}  "
            f"ms (updates complete {len(complete)}/{args.updates})",
        ),
        (
            "deliveries",
            f"expected {expected}  received {len(first)}  duplicates {duplicates}  "
            f"lost {expected - len(first)}  outbox {dict(sorted(states.items()))}",
        ),
    ]
    figures.append(
        (
            "stages p50 ms",
            "  ".join(f"{name} {ms(values, 0.5)}" for name, values in stages.items()),
        )
    )
    for label, value in figures:
        print(figure(label, value, 17))
    print_footer()


if __name__ == "__main__":
    main()
