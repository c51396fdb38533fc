"""Live-update fan-out: a state change → the event in every connected browser's live stream.

Run: .venv/bin/python benchmarks/live_fanout.py [--clients 200] [--changes 20] [--spacing 1]

On PostgreSQL (a database created for the run and dropped after) it migrates, applies a small
config (one team, one service, one Alertmanager integration, no escalation policy, so nothing
but the measured changes touches the incidents), starts ``plantao serve`` as an operator would
(production settings, its default two engine processes), creates a user with a password and a
``respond`` token of theirs, and logs in once. It opens one incident per change through intake,
waits until they exist and the system is quiet, then opens ``--clients`` concurrent
``GET /live/incidents`` streams with that session's cookie (httpx, one asyncio loop in this
process) and waits until every stream has answered.

Then it makes ``--changes`` state changes ``--spacing`` seconds apart through the API with the
bearer token, alternating an acknowledgement (its commit NOTIFYs the engines, which the live hub
LISTENs to) and a note (no NOTIFY: found by the hub's 250 ms poll), each on its own incident.
For each change: the time from just before its API request was sent (the change commits during
it) until the first stream and until the last of all streams received an event about that
incident. Figures: median, p99 and max over the changes of "all streams", the same of "first
stream", per kind and overall; the API request's own time; streams that missed a change; the
``plantao serve`` process's RSS before the streams, with them open and at the end, and its CPU
time during the changes. The clients share this machine and one Python event loop with
themselves, so "all" includes the client's own time to read 200 sockets.

Nothing is asserted; everything listens on 127.0.0.1; the run is bounded (``--timeout``) and
every process and database is stopped or dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import psycopg

from harness import (
    PostgresDatabase,
    default_postgres_url,
    figure,
    percentile,
    print_footer,
    print_header,
    run_cli,
    start_plantao,
)
from loadgen import webhook_alert, webhook_body

KEY = "bench-live-am-key-0123456789abcdef"
HANDLE = "bench"
CONFIG = f"""
version: 1
teams: [{{slug: sre, name: SRE}}]
services:
  - {{slug: web, name: Web, team: sre}}
integrations:
  - {{slug: am, name: Alertmanager, kind: alertmanager, service: web, key: {KEY}}}
severity_matrix:
  default: sev2
"""
WIDTH = 26


@dataclass
class Fleet:
    """The streams and what each received: ref → arrival time (first event about it only)."""

    size: int
    arrivals: list[dict[str, float]] = field(default_factory=list)
    subscribed: int = 0
    ended: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.arrivals = [{} for _ in range(self.size)]


async def follow(client: httpx.AsyncClient, fleet: Fleet, index: int) -> None:
    """One browser's stream: note when each incident's first event arrives."""
    mine = fleet.arrivals[index]
    try:
        async with client.stream("GET", "/live/incidents") as response:
            if response.status_code != 200:
                raise RuntimeError(f"stream {index} answered {response.status_code}")
            async for line in response.aiter_lines():
                if line.startswith("retry:"):
                    fleet.subscribed += 1
                    if fleet.subscribed == fleet.size:
                        fleet.ready.set()
                elif line.startswith("data:"):
                    arrived = time.perf_counter()
                    ref = orjson.loads(line[5:])["ref"]
                    mine.setdefault(ref, arrived)
    finally:
        fleet.ended += 1


def last_line(output: str) -> str:
    """What the CLI prints last (a generated password or token)."""
    return output.strip().splitlines()[-1].strip()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_incidents(base_url: str, count: int, database_url: str) -> list[str]:
    """``count`` incidents opened through intake, oldest first, once the engine applied them."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for number in range(count):
            labels = {"alertname": f"LiveBench{number}", "service": "web"}
            body = webhook_body(
                f'{{}}:{{alertname="LiveBench{number}"}}',
                {"alertname": labels["alertname"]},
                labels,
                [webhook_alert(labels, {"summary": f"live bench {number}"})],
            )
            res = client.post(
                f"/api/v1/intake/{KEY}/alertmanager",
                content=body,
                headers={"content-type": "application/json"},
            )
            res.raise_for_status()
    deadline = time.monotonic() + 60
    with psycopg.connect(database_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            refs = [str(r[0]) for r in conn.execute("SELECT human_id FROM incidents ORDER BY id")]
            if len(refs) >= count:
                return refs[:count]
            time.sleep(0.1)
    raise RuntimeError(f"only {len(refs)} of {count} incidents opened within 60 s")


async def measure(
    base_url: str,
    cookies: httpx.Cookies,
    token: str,
    refs: list[str],
    args: argparse.Namespace,
    serve_pid: int,
) -> None:
    fleet = Fleet(args.clients)
    limits = httpx.Limits(max_connections=args.clients + 8, max_keepalive_connections=8)
    timeout = httpx.Timeout(30.0, read=None)
    async with (
        httpx.AsyncClient(
            base_url=base_url, cookies=cookies, limits=limits, timeout=timeout
        ) as streams,
        httpx.AsyncClient(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0
        ) as api,
    ):
        rss_before = rss_kib(serve_pid)
        opened = time.perf_counter()
        tasks = [asyncio.create_task(follow(streams, fleet, i)) for i in range(args.clients)]
        try:
            await asyncio.wait_for(fleet.ready.wait(), timeout=60)
        except TimeoutError:
            raise RuntimeError(
                f"only {fleet.subscribed} of {args.clients} streams opened"
            ) from None
        connect_seconds = time.perf_counter() - opened
        await asyncio.sleep(1.0)  # let the hub's first read (its starting positions) pass
        rss_open = rss_kib(serve_pid)
        cpu_start = cpu_seconds(serve_pid)

        sent: dict[str, tuple[str, float, float]] = {}  # ref -> (kind, sent at, API seconds)
        for number, ref in enumerate(refs):
            kind = "acknowledge" if number % 2 == 0 else "note"
            started = time.perf_counter()
            if kind == "acknowledge":
                res = await api.post(f"/api/v1/incidents/{ref}/acknowledge")
            else:
                res = await api.post(f"/api/v1/incidents/{ref}/notes", json={"text": "live"})
            res.raise_for_status()
            sent[ref] = (kind, started, time.perf_counter() - started)
            await asyncio.sleep(args.spacing)
        straggle_until = time.monotonic() + 5
        while time.monotonic() < straggle_until:
            if all(len(got) >= len(refs) for got in fleet.arrivals):
                break
            await asyncio.sleep(0.1)
        cpu_used = cpu_seconds(serve_pid) - cpu_start
        rss_end = rss_kib(serve_pid)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)

    report(fleet, sent, connect_seconds, (rss_before, rss_open, rss_end), cpu_used, args)


def report(
    fleet: Fleet,
    sent: dict[str, tuple[str, float, float]],
    connect_seconds: float,
    rss: tuple[int, int, int],
    cpu_used: float,
    args: argparse.Namespace,
) -> None:
    all_ms: dict[str, list[float]] = {"acknowledge": [], "note": []}
    first_ms: dict[str, list[float]] = {"acknowledge": [], "note": []}
    api_ms: list[float] = []
    missed = 0
    print("# change  kind         first ms    all ms  streams")
    for number, (ref, (kind, started, api_seconds)) in enumerate(sent.items(), start=1):
        arrivals = [got[ref] - started for got in fleet.arrivals if ref in got]
        missed += args.clients - len(arrivals)
        api_ms.append(api_seconds * 1000)
        if not arrivals:
            print(f"  {number:>6}  {kind:<11}  {'-':>8}  {'-':>8}  0/{args.clients}")
            continue
        first, last = min(arrivals) * 1000, max(arrivals) * 1000
        first_ms[kind].append(first)
        if len(arrivals) == args.clients:
            all_ms[kind].append(last)
        print(
            f"  {number:>6}  {kind:<11}  {first:>8.1f}  {last:>8.1f}  "
            f"{len(arrivals)}/{args.clients}"
        )

    def spread(values: list[float]) -> str:
        if not values:
            return "n=0"
        return (
            f"median {statistics.median(values):.1f}  p99 {percentile(values, 0.99):.1f}  "
            f"max {max(values):.1f}  (n={len(values)})"
        )

    before, during, after = (kib / 1024 for kib in rss)
    every = all_ms["acknowledge"] + all_ms["note"]
    firsts = first_ms["acknowledge"] + first_ms["note"]
    lines = [
        ("clients", f"{args.clients} SSE streams, one session; opened in {connect_seconds:.2f}s"),
        ("changes", f"{len(sent)}, {args.spacing:g}s apart (acknowledge / note alternating)"),
        ("all streams ms", spread(every)),
        ("  after acknowledge ms", spread(all_ms["acknowledge"])),
        ("  after note ms", spread(all_ms["note"])),
        ("first stream ms", spread(firsts)),
        ("API request ms", spread(api_ms)),
        ("missed", f"{missed} (stream × change pairs without the event)"),
        ("serve RSS MiB", f"before {before:.1f}  streams open {during:.1f}  end {after:.1f}"),
        ("serve CPU s", f"{cpu_used:.2f} during the changes"),
    ]
    for label, value in lines:
        print(figure(label, value, WIDTH))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent SSE streams")
    parser.add_argument("--changes", type=int, default=20, help="state changes measured")
    parser.add_argument("--spacing", type=float, default=1.0, help="seconds between changes")
    parser.add_argument("--timeout", type=float, default=300.0, help="the whole run's limit")
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()

    print_header(
        "live fan-out",
        f"PostgreSQL, plantao serve (production settings, default engines); "
        f"{args.clients} SSE clients, {args.changes} changes",
    )
    workdir = Path(tempfile.mkdtemp(prefix="plantao-live-"))
    with PostgresDatabase(args.postgres_url) as database:
        plantao = start_plantao(database.url, workdir, CONFIG, log_name="serve.log")
        with plantao:
            env = {
                **os.environ,
                "PLANTAO_ENV": "production",
                "PLANTAO_DATABASE_URL": database.url,
                "PLANTAO_LOG_LEVEL": "WARNING",
            }
            user = ["users", "create", HANDLE, "--name", "Bench", "--role", "responder"]
            password = last_line(run_cli(env, workdir, *user, "--password"))
            scoped = ["--user", HANDLE, "--scopes", "respond"]
            token = last_line(run_cli(env, workdir, "tokens", "create", "--name", "api", *scoped))
            with httpx.Client(base_url=plantao.base_url, timeout=30.0) as browser:
                res = browser.post(
                    "/login",
                    data={"handle": HANDLE, "password": password, "next": "/"},
                    follow_redirects=False,
                )
                if res.status_code != 303:
                    raise RuntimeError(f"login answered {res.status_code}: {res.text[:200]}")
                cookies = browser.cookies
            refs = open_incidents(plantao.base_url, args.changes, database.url)
            time.sleep(2.0)  # the engines' reactions to the openings settle
            asyncio.run(
                asyncio.wait_for(
                    measure(plantao.base_url, cookies, token, refs, args, plantao.server.pid),
                    timeout=args.timeout,
                )
            )
    print_footer()


if __name__ == "__main__":
    main()
