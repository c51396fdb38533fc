"""The KPI page for one year of history on PostgreSQL: 50,000 incidents, 2,000,000 alerts
(issue 14's target: page p99 < 1 s after warm-up).

Run: .venv/bin/python benchmarks/kpi_page.py [--incidents 50000] [--alerts 2000000]
     [--requests 40] [--postgres-url URL] [--seeded-url URL]

On a PostgreSQL database created for the run and dropped after, ``plantao migrate`` and
``plantao apply`` declare 4 teams, 24 people in four time zones, 40 services with an
Alertmanager integration each and the seed's response targets; ``kpi_seed.py`` writes the year
(its docstring has the proportions) in the database itself; the KPI rollups are filled in this
process with :func:`plantao.kpis.rollups.refresh` (what the engine step does in batches). Then a
real ``plantao serve --no-engine`` answers (production settings, one web process; no engine
because the rollups are current and nothing else is due, so only the page is measured), an admin
logs in like a browser, and over one keep-alive connection, after ``--warmup`` requests each:

- ``GET /kpis`` for the whole year (``from``/``to``) and for the default 30 days;
- ``GET /api/v1/kpis/<section>`` for every section the API lists, for the year.

First, ``GET /metrics`` once (the KPI gauges computed for both windows) and ``--requests``
times more (answered from the collector's 60-second cache).

Figures: median / p90 / p99 / max per path (ms, at the client on loopback: an upper bound of
the server time). Then each KPI section is computed once in this process with every SQL
statement recorded, and each statement is run again under ``EXPLAIN (ANALYZE, BUFFERS)``: its
time, the plan's node types, the indexes it used, and the buffers read. Last, the indexes on the
tables the KPIs read and the rollup tables' sizes (the materialization). Nothing is asserted.

``--seeded-url`` reuses a database an earlier run seeded (``--keep`` leaves it behind) so the
measurements can be repeated without the seeding minutes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

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
from kpi_explain import explain_sections, print_materialization
from kpi_seed import seed
from plantao.db import make_engine, make_sessionmaker, session_scope

WIDTH = 52
ZONES = ("America/Sao_Paulo", "Europe/Lisbon", "UTC", "Asia/Kolkata")


def config(teams: int = 4, users: int = 24, services: int = 40) -> str:
    lines = ["version: 1", "users:"]
    lines += [
        f"  - {{handle: u{n:02d}, name: Person {n}, email: u{n}@example.com,"
        f" time_zone: {ZONES[n % len(ZONES)]}}}"
        for n in range(users)
    ]
    lines.append("teams:")
    for t in range(teams):
        members = ", ".join(f"u{n:02d}" for n in range(users) if n % teams == t)
        lines.append(f"  - {{slug: team-{t}, name: Team {t}, members: [{members}]}}")
    lines.append("services:")
    lines += [
        f"  - {{slug: svc-{n:02d}, name: Service {n}, team: team-{n % teams}}}"
        for n in range(services)
    ]
    lines.append("integrations:")
    lines += [
        f"  - {{slug: am-{n:02d}, name: AM {n}, kind: alertmanager, service: svc-{n:02d},"
        f" key: bench-kpi-key-{n:04d}-abcdef}}"
        for n in range(services)
    ]
    lines += [
        "severity_matrix:",
        "  default: sev3",
        "  levels:",
        "    - {name: sev1, mtta_minutes: 5, mttr_minutes: 60}",
        "    - {name: sev2, mtta_minutes: 15, mttr_minutes: 240}",
        "    - {name: sev3, mtta_minutes: 60, mttr_minutes: 1440}",
        "    - {name: sev4, mtta_minutes: 60, mttr_minutes: 4320}",
    ]
    return "\n".join(lines) + "\n"


def fill_rollups(url: str) -> None:
    from plantao import tables  # noqa: F401 - every table, for the foreign keys' targets
    from plantao.kpis import rollups

    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        began = time.monotonic()
        with session_scope(make_sessionmaker(engine)) as session:
            done = rollups.refresh(session)
        print(
            figure("rollups refresh (rows, s)", f"{done} in {time.monotonic() - began:.1f}", WIDTH)
        )
    finally:
        engine.dispose()


def login(base: str, env: dict[str, str], workdir: Path) -> httpx.Cookies:
    password = run_cli(env, workdir, "demo", "admin").strip().splitlines()[-1]
    with httpx.Client(base_url=base, timeout=60.0) as client:
        res = client.post(
            "/login",
            data={"handle": "admin", "password": password, "next": "/"},
            follow_redirects=False,
        )
        if res.status_code != 303:
            raise RuntimeError(f"login answered {res.status_code}")
        return client.cookies


def api_sections(client: httpx.Client) -> list[str]:
    """The sections the API lists at ``/api/v1/kpis`` (response alone when it lists none)."""
    res = client.get("/api/v1/kpis")
    names: list[str] = []
    if res.status_code == 200:
        body = res.json()
        items = body.get("sections", body) if isinstance(body, dict) else body
        for item in items if isinstance(items, list) else []:
            name = item.get("name") if isinstance(item, dict) else item
            if isinstance(name, str):
                names.append(name)
    return names or ["response"]


def time_paths(
    client: httpx.Client, paths: list[str], requests: int, warmup: int
) -> dict[str, tuple[list[float], int]]:
    results: dict[str, tuple[list[float], int]] = {}
    for path in paths:
        if client.get(path).status_code == 404:
            print(figure(path.split("?")[0], "not served (404)", WIDTH), flush=True)
            continue
        for _ in range(warmup):
            client.get(path).raise_for_status()
        times: list[float] = []
        size = 0
        for _ in range(requests):
            began = time.perf_counter()
            res = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            res.raise_for_status()
            size = len(res.content)
        results[path] = (times, size)
    return results


def scrape_metrics(base: str, requests: int) -> None:
    """``GET /metrics``: the first scrape computes the KPI gauges (both windows), the next
    ``requests`` answer from the collector's 60-second cache."""
    with httpx.Client(base_url=base, timeout=120.0) as client:
        began = time.perf_counter()
        first = client.get("/metrics")
        cold = (time.perf_counter() - began) * 1000
        first.raise_for_status()
        kpi_lines = sum(1 for line in first.text.splitlines() if line.startswith("plantao_kpi_"))
        times = []
        for _ in range(requests):
            began = time.perf_counter()
            client.get("/metrics").raise_for_status()
            times.append((time.perf_counter() - began) * 1000)
    print(
        figure("/metrics first scrape (computes)", f"{cold:.0f} ms, {kpi_lines} KPI samples", WIDTH)
    )
    print(
        figure(
            "/metrics cached scrapes",
            f"median {statistics.median(times):.1f} ms, p99 {percentile(times, 0.99):.1f} ms",
            WIDTH,
        ),
        flush=True,
    )


def measure(url: str, args: argparse.Namespace, workdir: Path, now: datetime) -> None:
    with start_plantao(url, workdir, config(), serve_args=("--no-engine",)) as plantao:
        env = {**os.environ, "PLANTAO_DATABASE_URL": url}
        scrape_metrics(plantao.base_url, args.requests)
        cookies = login(plantao.base_url, env, workdir)
        token = (
            run_cli(
                env,
                workdir,
                "tokens",
                "create",
                "--user",
                "admin",
                "--scopes",
                "admin",
                "--name",
                "bench-kpis",
            )
            .strip()
            .splitlines()[-1]
        )
        year = f"from={(now - timedelta(days=365)).date()}&to={now.date() + timedelta(days=1)}"
        with httpx.Client(base_url=plantao.base_url, cookies=cookies, timeout=120.0) as client:
            results = time_paths(client, [f"/kpis?{year}", "/kpis"], args.requests, args.warmup)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=plantao.base_url, headers=auth, timeout=120.0) as client:
            paths = [f"/api/v1/kpis/{name}?{year}" for name in api_sections(client)]
            results.update(time_paths(client, paths, args.requests, args.warmup))
        for path, (times, size) in results.items():
            print(
                figure(
                    path.split("?")[0] + (" (year)" if "?" in path else " (30 days)"),
                    f"median {statistics.median(times):.0f} ms, p90 "
                    f"{percentile(times, 0.9):.0f} ms, p99 {percentile(times, 0.99):.0f} ms, "
                    f"max {max(times):.0f} ms, {size / 1024:.0f} KiB",
                    WIDTH,
                ),
                flush=True,
            )
    explain_sections(url, now - timedelta(days=365), now + timedelta(days=1))
    print_materialization(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=default_postgres_url())
    parser.add_argument("--seeded-url", help="a database an earlier --keep run seeded")
    parser.add_argument("--keep", action="store_true", help="leave the seeded database behind")
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--alerts", type=int, default=2_000_000)
    parser.add_argument("--changes", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    print_header(
        "KPI page benchmark",
        f"PostgreSQL; one year: {args.incidents} incidents, {args.alerts} alerts, "
        f"{args.changes} change events; {args.requests} sequential GETs per path after "
        f"{args.warmup} warm-ups, one keep-alive connection",
    )
    with tempfile.TemporaryDirectory() as tmp:
        if args.seeded_url:
            measure(args.seeded_url, args, Path(tmp), now)
            print_footer()
            return 0
        database = PostgresDatabase(args.postgres_url)
        database.create()
        try:
            env = {**os.environ, "PLANTAO_DATABASE_URL": database.url}
            run_cli(env, Path(tmp), "migrate")
            (Path(tmp) / "plantao.yaml").write_text(config(), encoding="utf-8")
            run_cli(env, Path(tmp), "apply", "-f", str(Path(tmp) / "plantao.yaml"))
            began = time.monotonic()
            seed(
                database.url,
                incidents=args.incidents,
                alerts=args.alerts,
                changes=args.changes,
                now=now,
                report=lambda table, rows, secs: print(
                    figure(f"seed {table} (rows, s)", f"{rows} in {secs:.1f}", WIDTH), flush=True
                ),
            )
            fill_rollups(database.url)
            print(figure("seeded in (s)", f"{time.monotonic() - began:.0f}", WIDTH), flush=True)
            measure(database.url, args, Path(tmp), now)
        finally:
            if args.keep:
                print(f"# kept the seeded database: {database.url}")
            else:
                database.drop()
    print_footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
