"""Alert storm: 100,000 alerts in one minute across 50 services, and what reaches people.

Run: .venv/bin/python benchmarks/storm.py [--alerts 100000] [--seconds 60] [--quick]

The on-call issue's criterion: "an alert storm — 100,000 alerts in one minute across 50 services —
produces at most one page per incident step and contact (throttled and bundled), with every alert
recorded". On PostgreSQL (a database created for the run and dropped after) it migrates, applies
a plantao.yaml with 50 services, each with a route (``service="svc-NN"``, group_by
[alertname, service]), an escalation policy paging a schedule of 3 users at once, and one
Alertmanager integration. Users come from a pool of 15, so each person is on call for 3–4
services; each has one signed generic-webhook contact method (rule at 0m, the default throttle
of 5 messages per 15 minutes) pointing at a loopback receiver that checks the signature.
``plantao serve --workers 2`` (engine inside each worker) and one ``plantao worker`` run with
production settings.

The client sends N distinct alerts (default 100,000) as Alertmanager webhooks (payload v4) of 100
alerts each, paced evenly over ``--seconds`` (open-loop schedule; when the server falls behind,
webhooks go out as fast as the bounded connections allow and the achieved duration is printed),
from ``--concurrency`` keep-alive loopback connections. Alerts are spread over 50 services × 4
alertnames = 200 groups (one incident each expected); the webhooks are interleaved, so the first
200 open every incident at once and the rest attach to them.

After the intake, it drains (bounded by ``--drain``) until every incident has paged, no row of the
outbox is still due, and every sent row has reached the receiver; then it prints: alerts
accepted vs sent, alert rows in the database, incidents, pages per (incident, step, contact)
(outbox rows and messages received), notifications received (total, per contact, digests),
duplicate idempotency keys, bad signatures, outbox states (held/bundled), intake p50/p99 and
alerts/s, and the time from the last alert to the last notification.

Nothing is asserted; everything listens on 127.0.0.1; every phase has a deadline; every process
and the database are stopped or dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg

from harness import (
    LOOPBACK,
    Receiver,
    default_postgres_url,
    figure,
    load_average,
    percentile,
    plantao_with_receiver,
    print_footer,
    print_header,
    tail,
)
from loadgen import Connection, Tally, exchange, webhook_alert, webhook_body

AM_KEY = "storm-am-key-0123456789abcdef"
SECRET = "storm-webhook-secret-0123456789"  # noqa: S105 - loopback test receiver
SERVICES = 50
ALERTNAMES = ("HighErrorRate", "HighLatency", "PodCrashLooping", "DiskFilling")
USERS = 15
PER_SCHEDULE = 3
BATCH = 100


def user(i: int) -> str:
    return f"u{i % USERS:02d}"


def config(hook: str) -> str:
    lines = ["version: 1", "teams: [{slug: sre, name: SRE}]", "users:"]
    for i in range(USERS):
        lines += [
            f"  - handle: {user(i)}",
            f"    name: User {i:02d}",
            f"    email: {user(i)}@example.com",
            "    contact_methods:",
            f'      - {{name: hook, type: webhook, address: "{hook}/{user(i)}", secret: {SECRET}}}',
            "    notification_rules: [{contact: hook, after: 0m}]",
        ]
    lines.append("services:")
    lines += [
        f"  - {{slug: svc-{s:02d}, name: Service {s:02d}, team: sre, "
        f"escalation_policy: pol-{s:02d}}}"
        for s in range(SERVICES)
    ]
    lines += [
        "integrations:",
        f"  - {{slug: am, name: Alertmanager, kind: alertmanager, service: svc-00, key: {AM_KEY}}}",
        "routes:",
    ]
    lines += [
        f"  - {{name: svc-{s:02d}, matchers: ['service=\"svc-{s:02d}\"'], service: svc-{s:02d}, "
        "group_by: [alertname, service], group_window: 1h}"
        for s in range(SERVICES)
    ]
    lines.append("schedules:")
    for s in range(SERVICES):
        people = ", ".join(user(s + k) for k in range(PER_SCHEDULE))
        lines += [
            f"  - slug: sched-{s:02d}",
            f"    name: Schedule {s:02d}",
            "    time_zone: UTC",
            "    layers:",
            "      - name: weekly",
            f'        rotation: {{type: weekly, handoff: "09:00", start: 2026-11-02, '
            f"participants: [{people}]}}",
        ]
    lines.append("escalation_policies:")
    lines += [
        f"  - {{slug: pol-{s:02d}, name: Policy {s:02d}, "
        f"steps: [{{delay: 0m, targets: [{{schedule: sched-{s:02d}}}]}}]}}"
        for s in range(SERVICES)
    ]
    # Sev1 pages at once at any hour (Sev3/4 would wait for working hours).
    lines += ["severity_matrix:", "  default: sev1"]
    return "\n".join(lines) + "\n"


def bodies(total: int) -> list[bytes]:
    """Webhooks of BATCH distinct alerts; webhook w carries group w % groups (interleaved)."""
    groups = SERVICES * len(ALERTNAMES)
    out = []
    for w in range(total // BATCH):
        group, chunk = w % groups, w // groups
        service, alertname = f"svc-{group // len(ALERTNAMES):02d}", ALERTNAMES[group % 4]
        alerts = []
        for i in range(BATCH):
            instance = f"host-{chunk * BATCH + i}.storm.internal:9100"
            labels = {
                "alertname": alertname,
                "service": service,
                "instance": instance,
                "job": "node",
                "severity": "critical",
            }
            alerts.append(webhook_alert(labels, {"summary": f"{alertname} on {instance}"}))
        common = {"alertname": alertname, "service": service}
        out.append(
            webhook_body(
                f'{{}}:{{alertname="{alertname}", service="{service}"}}',
                common,
                {**common, "job": "node", "severity": "critical"},
                alerts,
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Loopback receiver: records (arrival, contact, idempotency key, incident ref, signature ok)


def signature_ok(header: str, body: bytes) -> bool:
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if not stamps:
        return False
    mac = hmac.new(SECRET.encode(), f"{stamps[0]}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, mac) for k, v in parts)


@dataclass(frozen=True)
class Received:
    arrived: float
    contact: str
    key: str
    ref: str
    signed: bool


def received(arrived: float, path: str, headers: dict[str, str], body: bytes) -> Received:
    try:
        ref = str(json.loads(body).get("incident", {}).get("ref", ""))
    except ValueError:
        ref = "?"
    return Received(
        arrived,
        path.strip("/"),
        headers.get("idempotency-key", ""),
        ref,
        signature_ok(headers.get("x-plantao-signature", ""), body),
    )


# ---------------------------------------------------------------------------------------------
# The storm


@dataclass
class Intake(Tally):
    webhooks: int = 0
    sent_alerts: int = 0  # alerts in webhooks that got an answer or failed (i.e. were sent)
    accepted: int = 0
    not_sent: int = 0  # webhooks left when the intake deadline passed
    first: float = 0.0
    last_answer: float = 0.0  # wall clock of the last 2xx
    seconds: float = 0.0


async def storm(
    port: int, payloads: Sequence[bytes], seconds: float, concurrency: int, timeout: float
) -> Intake:
    result = Intake()
    interval = seconds / max(1, len(payloads))
    path = f"/api/v1/intake/{AM_KEY}/alertmanager"
    start = time.monotonic()
    deadline = start + timeout
    result.first = time.time()
    queue = iter(enumerate(payloads))

    async def worker() -> None:
        conn = Connection(LOOPBACK, port)
        try:
            for index, body in queue:
                now = time.monotonic()
                if now > deadline:
                    result.not_sent += 1
                    continue
                due = start + index * interval
                if due > now:
                    await asyncio.sleep(due - now)
                result.sent_alerts += BATCH
                answer = await exchange(
                    conn, path, body, result,
                    since=time.perf_counter(), clock=time.perf_counter, ok=lambda s: s // 100 == 2,
                )  # fmt: skip
                if answer is None:
                    continue
                result.webhooks += 1
                result.last_answer = time.time()
                parsed = orjson.loads(answer)
                result.accepted += int(parsed["accepted"])
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.monotonic() - start
    return result


def drained(conn: psycopg.Connection[Any], receiver: Receiver[Received]) -> tuple[bool, str]:
    incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()
    paged = conn.execute("SELECT count(DISTINCT incident_id) FROM oncall_pages").fetchone()
    busy = conn.execute(
        "SELECT count(*) FROM deliveries WHERE state IN ('leased', 'retrying') "
        "OR (state = 'pending') OR (state = 'held' AND next_attempt_at <= now())"
    ).fetchone()
    sent = {r[0] for r in conn.execute("SELECT idempotency_key FROM deliveries WHERE state='sent'")}
    got = {r.key for r in receiver.snapshot()}
    missing = len(sent - got)
    inbox = conn.execute(
        "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'failed')"
        " FROM intake_inbox"
    ).fetchone()
    n_inc = int(incidents[0]) if incidents else 0
    n_paged = int(paged[0]) if paged else 0
    n_busy = int(busy[0]) if busy else 0
    pending, failed = (int(inbox[0]), int(inbox[1])) if inbox else (0, 0)
    done = n_inc > 0 and n_paged >= n_inc and n_busy == 0 and missing == 0 and pending == 0
    return done, (
        f"inbox pending {pending} failed {failed}, incidents {n_inc}, paged {n_paged}, "
        f"due/in flight {n_busy}, unseen {missing}"
    )


def report(
    args: argparse.Namespace,
    total: int,
    intake: Intake,
    db: dict[str, Any],
    seen: list[Received],
    drain_seconds: float,
    drain_state: str,
) -> None:
    ms = 1000.0
    keys = Counter(r.key for r in seen)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    per_contact = Counter(r.contact for r in seen)
    digests = [r for r in seen if r.key.startswith("digest:")]
    pages = [r for r in seen if r.key.startswith("page:")]
    # Messages received per (incident, contact): pages only, a digest stands for held ones.
    recv_per = Counter((r.ref, r.contact) for r in pages)
    last_note = max((r.arrived for r in seen), default=float("nan"))
    rate = intake.accepted / intake.seconds if intake.seconds else 0.0
    states = db["states"]

    def line(label: str, value: object) -> None:
        print(figure(label, value, 44))

    print_header(
        "alert-storm benchmark",
        f"{SERVICES} services x {len(ALERTNAMES)} alertnames, {USERS} users "
        f"({PER_SCHEDULE} per schedule), webhooks of {BATCH} alerts paced over "
        f"{args.seconds:.0f} s "
        f"on {args.concurrency} connections; serve --workers 2 --no-engine + 1 plantao worker; "
        "PostgreSQL",
        args.load_start,
    )
    line("alerts sent / offered", f"{intake.sent_alerts} / {total}")
    line("alerts accepted (202 answers)", f"{intake.accepted}")
    line(
        "webhooks ok / errors / not sent",
        f"{intake.webhooks} / {intake.errors} / {intake.not_sent}",
    )
    line("intake duration s (target 60)", f"{intake.seconds:.1f}")
    line("achieved alerts/s", f"{rate:.0f}")
    line(
        "intake latency ms p50 / p99 / max",
        f"{percentile(intake.latencies, 0.5) * ms:.0f} / "
        f"{percentile(intake.latencies, 0.99) * ms:.0f} / "
        f"{max(intake.latencies, default=float('nan')) * ms:.0f}",
    )
    line(
        "alert rows in the database",
        f"{db['alerts']}  (distinct identities "
        f"{db['identities']}; every sent alert recorded: "
        f"{'yes' if db['identities'] == intake.sent_alerts else 'NO'})",
    )
    line("incidents opened (expected groups)", f"{db['incidents']} ({db['groups']})")
    line("alerts per incident min / max", f"{db['per_incident_min']} / {db['per_incident_max']}")
    line(
        "escalation firings (oncall_pages rows)",
        f"{db['oncall_pages']}  max per (incident, firing, user) {db['oncall_pages_max']}",
    )
    line(
        "page rows per (incident, step, contact) max",
        f"{db['page_rows_max']}  over {db['page_groups']} (incident, step, contact)",
    )
    line(
        "pages received per (incident, contact) max",
        f"{max(recv_per.values(), default=0)}  over {len(recv_per)} pairs",
    )
    line("notifications received", f"{len(seen)}  (pages {len(pages)}, digests {len(digests)})")
    line(
        "received per contact method", " ".join(f"{c}={n}" for c, n in sorted(per_contact.items()))
    )
    line("duplicate idempotency keys", duplicates)
    line("bad signatures", sum(1 for r in seen if not r.signed))
    line("outbox (page rows by state)", dict(sorted(db["page_states"].items())))
    line("outbox (digest rows by state)", dict(sorted(db["digest_states"].items())))
    line(
        "held now / bundled so far",
        f"{states.get('held', 0)} / {states.get('bundled', 0)}  "
        f"(held on {db['held_contacts']} contacts; first digest due "
        f"{db['first_digest_due']})",
    )
    line(
        "last alert -> last notification s",
        f"{last_note - intake.last_answer:.1f}  (first alert -> last notification "
        f"{last_note - intake.first:.1f}; negative: all sent before the storm ended)",
    )
    line("drain", f"{drain_seconds:.1f} s of max {args.drain:.0f} s: {drain_state}")
    if intake.error_samples:
        line("error samples", intake.error_samples)
    print_footer()


def collect(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:

        def one(sql: str) -> Any:
            row = conn.execute(sql.encode()).fetchone()
            return row[0] if row else None

        per_incident = conn.execute(
            "SELECT min(n), max(n) FROM (SELECT count(*) n FROM alerts GROUP BY incident_id) x"
        ).fetchone()
        states: dict[str, int] = dict(
            conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state")
        )
        page_states: dict[str, int] = dict(
            conn.execute("SELECT state, count(*) FROM deliveries WHERE kind='page' GROUP BY state")
        )
        digest_states: dict[str, int] = dict(
            conn.execute(
                "SELECT state, count(*) FROM deliveries WHERE kind='digest' GROUP BY state"
            )
        )
        due = one("SELECT min(next_attempt_at) FROM deliveries WHERE state = 'held'")
        return {
            "alerts": one("SELECT count(*) FROM alerts"),
            "identities": one("SELECT count(DISTINCT identity) FROM alerts"),
            "incidents": one("SELECT count(*) FROM incidents"),
            "groups": SERVICES * len(ALERTNAMES),
            "per_incident_min": per_incident[0] if per_incident else None,
            "per_incident_max": per_incident[1] if per_incident else None,
            "oncall_pages": one("SELECT count(*) FROM oncall_pages"),
            "oncall_pages_max": one(
                "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM oncall_pages "
                "GROUP BY incident_id, firing, user_id) x"
            ),
            "page_rows_max": one(
                "SELECT coalesce(max(n), 0) FROM (SELECT count(*) n FROM deliveries "
                "WHERE kind='page' GROUP BY incident_id, step, contact_method_id) x"
            ),
            "page_groups": one(
                "SELECT count(*) FROM (SELECT 1 FROM deliveries WHERE kind='page' "
                "GROUP BY incident_id, step, contact_method_id) x"
            ),
            "held_contacts": one(
                "SELECT count(DISTINCT contact_method_id) FROM deliveries WHERE state='held'"
            ),
            "first_digest_due": "-" if due is None else f"{due:%H:%M:%S} UTC",
            "states": states,
            "page_states": page_states,
            "digest_states": digest_states,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=100_000, help="distinct alerts to send")
    parser.add_argument("--seconds", type=float, default=60.0, help="pace the storm over S s")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--intake-timeout", type=float, default=150.0, help="stop sending after")
    parser.add_argument("--drain", type=float, default=120.0, help="max wait for notifications")
    parser.add_argument("--quick", action="store_true", help="10,000 alerts over 10 s")
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    if args.quick:
        args.alerts, args.seconds = 10_000, 10.0
    args.load_start = load_average()
    payloads = bodies(args.alerts)
    total = len(payloads) * BATCH

    with plantao_with_receiver(
        args.postgres_url,
        config,
        received,
        workdir=Path(tempfile.mkdtemp(prefix="plantao-storm-")),
        serve_args=["--workers", "2", "--no-engine"],
        workers=1,
    ) as (plantao, receiver):
        intake = asyncio.run(
            storm(plantao.port, payloads, args.seconds, args.concurrency, args.intake_timeout)
        )
        drain_start = time.monotonic()
        state, done = "not checked", False
        with psycopg.connect(plantao.database_url, autocommit=True) as conn:
            while time.monotonic() - drain_start < args.drain:
                done, state = drained(conn, receiver)
                if done:
                    break
                time.sleep(0.5)
        drain_seconds = time.monotonic() - drain_start
        if not done:
            state = "INCOMPLETE: " + state
        seen = receiver.snapshot()
        db = collect(plantao.database_url)
        report(args, total, intake, db, seen, drain_seconds, state)
        problems = [
            line for line in tail(plantao.log_path, 400).splitlines() if "Traceback" in line
        ]
        if problems:
            print(f"# server log has {len(problems)} tracebacks: {plantao.log_path}")


if __name__ == "__main__":
    main()
