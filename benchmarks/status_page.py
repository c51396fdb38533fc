"""The public status page under load, beside a static file of the same server (issue 13's
target: ``/status`` and ``/api/v2/summary.json`` at ≥ 2,000 requests/s with p99 < 50 ms on the
2-core machine; every customer reads them during an outage).

A real ``plantao serve`` (production settings, PostgreSQL in a database created for the run)
holds a page with 12 components in three groups, an open incident with three updates and 20
resolved ones (so the page weighs what a real one does); the engine renders its snapshots and
the benchmark waits until ``/status`` shows the incident. Then, for each concurrency level,
each target is read for a fixed time by that many keep-alive connections of a minimal asyncio
HTTP/1.1 client (in this process: it shares the two cores with the server, so the figures are a
floor): ``/status`` (HTML, snapshot), ``/api/v2/summary.json`` (JSON, snapshot) and
``/static/status.css`` (a file served by the same server through the whole middleware stack:
the reference). Requests say ``Accept-Encoding: gzip`` as browsers do. Latency is measured
at the client per request, on loopback. Usage::

    .venv/bin/python benchmarks/status_page.py [--seconds 5] [--levels 1,16,64] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

import plantao.tables  # noqa: F401 - every model, for the foreign keys
from harness import (
    LOOPBACK,
    PostgresDatabase,
    default_postgres_url,
    percentile,
    print_footer,
    print_header,
    start_plantao,
)
from loadgen import HttpError
from plantao import clock
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.statuspage import page_state, pages
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
)

CONFIG = """
version: 1
teams: [{slug: sre, name: SRE}]
services:
  - {slug: checkout, name: Checkout, team: sre}
"""
#: Answers other than 200, by status, over the whole run (printed at the end).
REFUSED: dict[int, int] = {}
TARGETS = ("/status", "/api/v2/summary.json", "/static/status.css")


def populate(database_url: str) -> None:
    """The page the benchmark reads: components in groups, one open and 20 resolved incidents."""
    engine = make_engine(database_url, pool_size=1)
    now = clock.now()
    try:
        with session_scope(make_sessionmaker(engine)) as s:
            page = pages.ensure_default(s)
            page.name = "Acme Status"
            components = []
            for n in range(12):
                row = StatusComponent(
                    page_id=page.id,
                    slug=f"c{n}",
                    name=f"Component {n}",
                    description="Serves customers",
                    group_name=("API", "Web", "Data")[n % 3],
                    position=n,
                    services=[],
                    status="major_outage" if n == 0 else "operational",
                    created_at=now - timedelta(days=120),
                    updated_at=now,
                )
                s.add(row)
                components.append(row)
            s.flush()
            for n in range(21):
                opened = now - timedelta(days=n * 3, hours=2)
                incident = PublicIncident(
                    page_id=page.id,
                    title=f"Errors on checkout {n}" if n else "Checkout is failing",
                    status="identified" if n == 0 else "resolved",
                    impact="critical" if n == 0 else "minor",
                    published_by="bench",
                    created_at=opened,
                    updated_at=opened + timedelta(hours=1),
                    resolved_at=None if n == 0 else opened + timedelta(hours=1),
                )
                s.add(incident)
                s.flush()
                s.add(
                    PublicIncidentComponent(
                        public_incident_id=incident.id,
                        component_id=components[n % 12].id,
                        status="major_outage",
                    )
                )
                for k, status in enumerate(("investigating", "identified", "resolved")):
                    if n == 0 and status == "resolved":
                        continue
                    s.add(
                        PublicUpdate(
                            public_incident_id=incident.id,
                            status=status,
                            body="We are looking into elevated error rates. " * 4,
                            components={f"c{n % 12}": "major_outage"},
                            created_by="bench",
                            created_at=opened + timedelta(minutes=20 * k),
                        )
                    )
            page_state.touch(s, [page.id])
    finally:
        engine.dispose()


class Reader:
    """One keep-alive connection sending GETs (every answer here has a Content-Length)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, request: bytes) -> int:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(LOOPBACK, self.port)
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, rest = head.partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpError(f"bad status line {status_line!r}")
        length = 0
        for line in rest.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return int(parts[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()


async def load(
    port: int, path: str, connections: int, seconds: float
) -> tuple[int, list[float], int]:
    """Requests answered 200, their latencies, errors."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\nUser-Agent: plantao-bench\r\n"
        "Accept-Language: en\r\nAccept-Encoding: gzip\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + seconds

    async def one() -> None:
        nonlocal errors
        reader = Reader(port)
        try:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                try:
                    status = await reader.get(request)
                except (OSError, asyncio.IncompleteReadError, HttpError, ValueError):
                    errors += 1
                    await reader.close()
                    reader = Reader(port)
                    continue
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1
                    REFUSED[status] = REFUSED.get(status, 0) + 1
        finally:
            await reader.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return len(latencies), latencies, errors


def wait_rendered(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if "Checkout is failing" in httpx.get(f"{base}/status", timeout=5).text:
                return
        time.sleep(0.5)
    raise RuntimeError("the status page was not rendered within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    print_header(
        "status page",
        f"plantao serve --workers {args.workers} on PostgreSQL; client: asyncio keep-alive "
        f"GETs in one process on the same machine, {args.seconds:g} s per cell",
    )
    with PostgresDatabase(args.postgres_url) as database, tempfile.TemporaryDirectory() as tmp:
        serve_args = ["--workers", str(args.workers)] if args.workers > 1 else []
        env = {
            "PLANTAO_STATUS_SNAPSHOT_DIR": str(Path(tmp) / "snapshots"),
            # One client address: the reference file must measure the stack, not its 429s.
            "PLANTAO_RATE_LIMIT_PER_IP": "100000000/1m",
        }
        with start_plantao(
            database.url, Path(tmp), CONFIG, serve_args=serve_args, env=env
        ) as plantao:
            populate(database.url)
            wait_rendered(plantao.base_url)
            sizes = {}
            for p in TARGETS:
                res = httpx.get(plantao.base_url + p, headers={"Accept-Encoding": "gzip"})
                wire = res.headers.get("content-length", "?")
                sizes[p] = f"{len(res.content)} ({wire} on the wire)"
            print(
                "# bytes (Accept-Encoding: gzip): "
                + ", ".join(f"{p} {n}" for p, n in sizes.items())
            )
            print(f"{'connections':>11}  " + "  ".join(f"{p:>38}" for p in TARGETS))
            print(
                f"{'':>11}  " + "  ".join(f"{'req/s   p50 ms   p99 ms  err':>38}" for _ in TARGETS)
            )
            for level in levels:
                cells = []
                for path in TARGETS:
                    asyncio.run(load(plantao.port, path, level, 0.5))  # warm the connections
                    done, latencies, errors = asyncio.run(
                        load(plantao.port, path, level, args.seconds)
                    )
                    p50 = percentile(latencies, 0.5) * 1000
                    p99 = percentile(latencies, 0.99) * 1000
                    cells.append(
                        f"{done / args.seconds:>14,.0f} {p50:>8.2f} {p99:>8.2f} {errors:>4}"
                    )
                print(f"{level:>11}  " + "  ".join(f"{c:>38}" for c in cells), flush=True)
    if REFUSED:
        print(
            "# answers other than 200 (err): " + ", ".join(f"{k}: {v}" for k, v in REFUSED.items())
        )
    print_footer()


if __name__ == "__main__":
    main()
