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
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from harness import (
    LOOPBACK,
    Plantao,
    PostgresDatabase,
    default_postgres_url,
    free_port,
    print_footer,
    print_header,
    start_plantao,
    stop,
    wait_http,
)
from intake_phases import (
    AM_KEY,
    BATCH_SIZES,
    CONFIG,
    HEADER,
    PATHS,
    PLANTAO_PATH,
    CpuProbe,
    PhaseResult,
    StoreProbe,
    alertmanager_bodies,
    child_pids,
    plantao_bodies,
    row,
    run_paced,
    run_phase,
)

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
# The reference: Alertmanager's own API


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
                f"--web.listen-address={LOOPBACK}:{port}",
                "--cluster.listen-address=",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_http(f"http://{LOOPBACK}:{port}/-/ready", process, log_path)
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
# Backends


def bench_plantao(
    backend: str,
    args: argparse.Namespace,
    workdir: Path,
    run: str,
    emit: Callable[[PhaseResult], None],
) -> list[PhaseResult]:
    database = PostgresDatabase(args.postgres_url) if backend == "postgres" else None
    results: list[PhaseResult] = []
    if database is not None:
        database.create()
    server: Plantao | None = None
    try:
        server = start_plantao(
            database.url if database is not None else f"sqlite:///{workdir / 'plantao.db'}",
            workdir,
            CONFIG,
            serve_args=[
                "--workers",
                str(args.pg_workers if database is not None else 1),
                "--engines",
                str(args.engines),
            ],
            log_name=f"plantao-{backend}.log",
        )
        pid = server.server.pid
        probe = CpuProbe(
            pid,
            database.backend_pids if database is not None else None,
            engine_pids=lambda: child_pids(pid),
        )
        target = f"plantao-{'pg' if backend == 'postgres' else 'sqlite'}"
        store = StoreProbe(server.database_url)
        warm = plantao_bodies(f"{run}warm", 1, 200)
        run_phase(
            "warmup", server.port, PLANTAO_PATH, warm, 1, "insert",
            concurrency=args.concurrency, timeout=60, probe=CpuProbe(None),
            expect_status=202, parse_accepted=True,
        )  # fmt: skip
        store.wait_drained(time.monotonic() + 60)
        for batch in args.batch_sizes:
            bodies = plantao_bodies(run, batch, args.alerts)
            for phase in PATHS:
                result = run_phase(
                    target, server.port, PLANTAO_PATH, bodies, batch, phase,
                    concurrency=args.concurrency, timeout=args.phase_timeout, probe=probe,
                    expect_status=202, parse_accepted=True, store=store,
                )  # fmt: skip
                results.append(result)
                emit(result)
        for batch, rate in args.paced:
            bodies = plantao_bodies(f"{run}p", batch, int(rate * batch * args.paced_seconds))
            for phase in PATHS:
                paced = run_paced(
                    target, server.port, bodies, batch, phase, rate, store, args.phase_timeout
                )
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
        text = httpx.get(f"http://{LOOPBACK}:{port}/metrics", timeout=10).text
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
    with PostgresDatabase(args.postgres_url) as database:
        print_statements(backend, count_statements(database.url))


def bench_alertmanager(
    binary: str,
    args: argparse.Namespace,
    workdir: Path,
    run: str,
    emit: Callable[[PhaseResult], None],
) -> list[PhaseResult]:
    am = start_alertmanager(binary, workdir)
    results: list[PhaseResult] = []
    try:
        probe = CpuProbe(am.process.pid)
        warm = alertmanager_bodies(f"{run}warm", 1, 200)
        run_phase(
            "warmup", am.port, "/api/v2/alerts", warm, 1, "insert",
            concurrency=args.concurrency, timeout=60, probe=CpuProbe(None),
            expect_status=200, parse_accepted=False,
        )  # fmt: skip
        for batch in args.batch_sizes:
            bodies = alertmanager_bodies(run, batch, args.alerts)
            for phase in PATHS:
                result = run_phase(
                    "alertmanager", am.port, "/api/v2/alerts", bodies, batch, phase,
                    concurrency=args.concurrency, timeout=args.phase_timeout, probe=probe,
                    expect_status=200, parse_accepted=False,
                )  # fmt: skip
                results.append(result)
                emit(result)
    finally:
        stop(am.process)
    return results


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
        default=default_postgres_url(),
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
    print_header(
        "intake benchmark",
        f"{args.alerts} distinct alerts per phase, batches of {args.batch_sizes}, "
        f"{args.concurrency} keep-alive client connections, one groupKey per webhook; "
        "cpu columns are % of one core (srv = plantao serve, db = its PostgreSQL backends)",
    )
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
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
