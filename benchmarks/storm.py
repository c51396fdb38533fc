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
import os
import secrets
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import psycopg

from intake import (
    DEFAULT_PG,
    STARTS_AT,
    Connection,
    HttpError,
    PostgresDatabase,
    _fingerprint,
    free_port,
    machine,
    plantao_command,
    run_cli,
    stop,
    tail,
    wait_http,
)

AM_KEY = "storm-am-key-0123456789abcdef"
SECRET = "storm-webhook-secret-0123456789"  # noqa: S105 - loopback test receiver
SERVICES = 50
ALERTNAMES = ("HighErrorRate", "HighLatency", "PodCrashLooping", "DiskFilling")
USERS = 15
PER_SCHEDULE = 3
BATCH = 100
REQUEST_TIMEOUT = 60.0


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
            labels = {
                "alertname": alertname,
                "service": service,
                "instance": f"host-{chunk * BATCH + i}.storm.internal:9100",
                "job": "node",
                "severity": "critical",
            }
            alerts.append(
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": {"summary": f"{alertname} on {labels['instance']}"},
                    "startsAt": STARTS_AT,
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
                    "fingerprint": _fingerprint(labels),
                }
            )
        common = {"alertname": alertname, "service": service}
        out.append(
            orjson.dumps(
                {
                    "version": "4",
                    "groupKey": f'{{}}:{{alertname="{alertname}", service="{service}"}}',
                    "truncatedAlerts": 0,
                    "status": "firing",
                    "receiver": "plantao",
                    "groupLabels": common,
                    "commonLabels": {**common, "job": "node", "severity": "critical"},
                    "commonAnnotations": {},
                    "externalURL": "http://alertmanager:9093",
                    "alerts": alerts,
                }
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


class Receiver:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrived = time.time()
                try:
                    ref = str(json.loads(body).get("incident", {}).get("ref", ""))
                except ValueError:
                    ref = "?"
                item = Received(
                    arrived,
                    self.path.strip("/"),
                    self.headers.get("Idempotency-Key", ""),
                    ref,
                    signature_ok(self.headers.get("X-Plantao-Signature", ""), body),
                )
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

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.seen)


# ---------------------------------------------------------------------------------------------
# The storm


@dataclass
class Intake:
    webhooks: int = 0
    sent_alerts: int = 0  # alerts in webhooks that got an answer or failed (i.e. were sent)
    accepted: int = 0
    errors: int = 0
    not_sent: int = 0  # webhooks left when the intake deadline passed
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
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
        conn = Connection("127.0.0.1", port)
        try:
            for index, body in queue:
                now = time.monotonic()
                if now > deadline:
                    result.not_sent += 1
                    continue
                due = start + index * interval
                if due > now:
                    await asyncio.sleep(due - now)
                started = time.perf_counter()
                result.sent_alerts += BATCH
                try:
                    status, answer = await asyncio.wait_for(
                        conn.post(path, body), timeout=REQUEST_TIMEOUT
                    )
                except (OSError, TimeoutError, asyncio.IncompleteReadError, HttpError) as exc:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(repr(exc))
                    await conn.close()
                    continue
                result.latencies.append(time.perf_counter() - started)
                if status // 100 != 2:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(f"{status} {answer[:200]!r}")
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


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def drained(conn: psycopg.Connection[Any], receiver: Receiver) -> tuple[bool, str]:
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
        print(f"{label:<44} {value}")

    print(f"# Plantão alert-storm benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# machine: {machine()}")
    print(
        f"# {SERVICES} services x {len(ALERTNAMES)} alertnames, {USERS} users "
        f"({PER_SCHEDULE} per schedule), webhooks of {BATCH} alerts paced over "
        f"{args.seconds:.0f} s "
        f"on {args.concurrency} connections; serve --workers 2 --no-engine + 1 plantao worker; "
        "PostgreSQL"
    )
    print(f"# load average at the start: {args.load_start}")
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
        f"{pct(intake.latencies, 0.5) * ms:.0f} / "
        f"{pct(intake.latencies, 0.99) * ms:.0f} / "
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
    print(f"# load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


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
    parser.add_argument(
        "--postgres-url", default=os.environ.get("PLANTAO_TEST_POSTGRES_URL") or DEFAULT_PG
    )
    args = parser.parse_args()
    if args.quick:
        args.alerts, args.seconds = 10_000, 10.0
    args.load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    payloads = bodies(args.alerts)
    total = len(payloads) * BATCH

    database = PostgresDatabase(args.postgres_url)
    database.create()
    receiver = Receiver()
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="plantao-storm-"))
    env = {
        **os.environ,
        "PLANTAO_ENV": "production",
        "PLANTAO_SECRET_KEY": secrets.token_urlsafe(48),
        "PLANTAO_DATABASE_URL": database.url,
        "PLANTAO_BASE_URL": f"http://127.0.0.1:{port}",
        "PLANTAO_LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen[bytes]] = []
    log_path = workdir / "plantao.log"
    log = log_path.open("wb")
    try:
        run_cli(env, workdir, "migrate")
        (workdir / "plantao.yaml").write_text(config(receiver.url), encoding="utf-8")
        run_cli(env, workdir, "apply", "-f", str(workdir / "plantao.yaml"))
        serve = [*plantao_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
        processes.append(
            subprocess.Popen(
                [*serve, "--workers", "2", "--no-engine"],
                env=env,
                cwd=workdir,
                stdout=log,
                stderr=log,
            )
        )
        processes.append(
            subprocess.Popen(
                [*plantao_command(), "worker"], env=env, cwd=workdir, stdout=log, stderr=log
            )
        )
        wait_http(f"http://127.0.0.1:{port}/readyz", processes[0], log_path)

        intake = asyncio.run(
            storm(port, payloads, args.seconds, args.concurrency, args.intake_timeout)
        )
        drain_start = time.monotonic()
        state, done = "not checked", False
        with psycopg.connect(database.url, autocommit=True) as conn:
            while time.monotonic() - drain_start < args.drain:
                done, state = drained(conn, receiver)
                if done:
                    break
                time.sleep(0.5)
        drain_seconds = time.monotonic() - drain_start
        if not done:
            state = "INCOMPLETE: " + state
        seen = receiver.snapshot()
        db = collect(database.url)
        report(args, total, intake, db, seen, drain_seconds, state)
        problems = [line for line in tail(log_path, 400).splitlines() if "Traceback" in line]
        if problems:
            print(f"# server log has {len(problems)} tracebacks: {log_path}")
    finally:
        for process in reversed(processes):
            stop(process)
        log.close()
        receiver.server.shutdown()
        database.drop()


if __name__ == "__main__":
    main()
