"""Listing corrective actions with 10,000 of them in PostgreSQL: the ``/actions`` list's and
the API's answer time.

Run: .venv/bin/python benchmarks/actions_list.py [--services 200] [--actions 10000]
     [--reads 300] [--postgres-url URL]

On a PostgreSQL database created for the run and dropped after, it starts ``plantao serve``
(production settings, loopback) on the world of ``release_gate.py`` (one resolved incident per
service with its postmortem, ``--actions`` actions owned by ana, due from 10 days ago to 60 days
ahead, a tenth must-fix) and reads, ``--reads`` times each:

- use case: :func:`plantao.postmortems.actions.search` + ``describe`` (overdue; ana's open ones,
  200 at most), a new session each;
- HTTP: ``GET /api/v1/actions?overdue=true`` and ``?owner=ana`` with an admin's token over one
  keep-alive connection.

Figures: p50 / p99 / max in ms and the rows answered. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from harness import (
    PostgresDatabase,
    default_postgres_url,
    figure,
    percentile,
    print_footer,
    print_header,
    start_plantao,
)
from plantao.auth import service as auth_service
from plantao.auth.principal import Principal
from plantao.auth.roles import Access, Role
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.people.models import User
from plantao.postmortems import actions
from release_gate import build, config

ADMIN = Principal(user_id=0, handle="bench", name="bench", access=Access(Role.ADMIN))
QUERIES: dict[str, tuple[actions.ActionFilter, dict[str, str]]] = {
    "overdue": (actions.ActionFilter(overdue=True), {"overdue": "true"}),
    "ana's open": (actions.ActionFilter(owner="ana", open_only=True), {"owner": "ana"}),
}


def admin_token(factory: sessionmaker[Session]) -> str:
    with session_scope(factory) as session:
        ana = session.scalars(select(User).where(User.handle == "ana")).one()
        ana.global_role = "admin"
        _, clear = auth_service.create_token(session, user=ana, name="bench", scopes=["read"])
    return clear


def use_case(factory: sessionmaker[Session], filt: actions.ActionFilter, reads: int) -> Any:
    timings, rows = [], 0
    for _ in range(reads):
        started = time.perf_counter()
        with factory() as session:
            rows = len(actions.describe(session, actions.search(session, filt, ADMIN, limit=200)))
            session.rollback()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, rows


def over_http(base_url: str, token: str, params: dict[str, str], reads: int) -> Any:
    timings, rows = [], 0
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0
    ) as client:
        for _ in range(10):  # warm-up: connection, caches
            client.get("/api/v1/actions", params=params)
        for _ in range(reads):
            started = time.perf_counter()
            res = client.get("/api/v1/actions", params=params)
            timings.append((time.perf_counter() - started) * 1000)
            if res.status_code != 200:
                raise RuntimeError(f"/api/v1/actions answered {res.status_code}: {res.text[:300]}")
            rows = len(res.json())
    return timings, rows


def report(label: str, timings: list[float], rows: int) -> None:
    width = 34
    print(f"{label}:")
    print(figure("  p50 (ms)", f"{percentile(timings, 0.50):.2f}", width))
    print(figure("  p99 (ms)", f"{percentile(timings, 0.99):.2f}", width))
    print(figure("  max (ms)", f"{max(timings):.2f}", width))
    print(figure("  rows answered", rows, width), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    print_header(
        "corrective actions list benchmark",
        f"PostgreSQL, {args.services} services, {args.actions} corrective actions, "
        f"{args.reads} reads per query (use case, then HTTP)",
    )
    with (
        PostgresDatabase(args.postgres_url) as database,
        tempfile.TemporaryDirectory() as tmp,
        start_plantao(database.url, Path(tmp), config(args.services)) as plantao,
    ):
        engine = make_engine(database.url)
        try:
            factory = make_sessionmaker(engine)
            build(factory, args.actions, random.Random(20261202))
            token = admin_token(factory)
            for name, (filt, params) in QUERIES.items():
                report(
                    f"use case: {name} (search + describe)", *use_case(factory, filt, args.reads)
                )
                report(
                    f"HTTP GET /api/v1/actions ({name})",
                    *over_http(plantao.base_url, token, params, args.reads),
                )
        finally:
            engine.dispose()
    print_footer()


if __name__ == "__main__":
    main()
