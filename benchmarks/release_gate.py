"""The release gate's answer time with 10,000 corrective actions in PostgreSQL.

Run: .venv/bin/python benchmarks/release_gate.py [--services 200] [--actions 10000]
     [--asks 2000] [--postgres-url URL] [--no-engine-in-serve]

On a PostgreSQL database created for the run and dropped after (``PLANTAO_BENCH_POSTGRES_URL``,
else ``PLANTAO_TEST_POSTGRES_URL``), it starts ``plantao serve`` (production settings, on
loopback) with ``--services`` services, then writes one resolved incident per service with its
postmortem, ``--actions`` corrective actions spread over the services (10% must-fix, of which
a third still open; the rest done, won't-do or open but not must-fix), an open Sev1 on 2% of
the services, a few overrides, and a gate-only token. Then it asks the gate ``--asks`` times
for random services (a third with an environment):

- queries only: :func:`plantao.postmortems.gate.evaluate` (its reads, nothing written);
- use case: :func:`plantao.postmortems.gate.answer` in this process, a new session each,
  committed (what a request does minus HTTP and authentication);
- HTTP: ``GET /api/v1/release-gate`` with the gate-only token over one keep-alive connection
  (what a CI runner waits for, token check and decision write included).

Figures: p50 / p99 / max in ms, and how many answers were 409. Nothing is asserted (the
target, p99 < 20 ms, is read by a person).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select
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
from plantao import tables  # noqa: F401 - every table, for the foreign keys' targets
from plantao.auth import service as auth_service
from plantao.catalog.models import Service
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.postmortems import gate
from plantao.postmortems.models import CorrectiveAction, GateOverride, Postmortem

NOW = datetime.now(UTC).replace(microsecond=0)
ENVIRONMENTS = ("production", "staging", None)


def config(services: int) -> str:
    lines = [
        "version: 1",
        "teams: [{slug: sre, name: SRE, members: [ana]}]",
        "users: [{handle: ana, name: Ana, email: ana@example.com}, {handle: ci-bot, name: CI bot}]",
        "services:",
    ]
    lines += [f"  - {{slug: svc-{n:03d}, name: Service {n}, team: sre}}" for n in range(services)]
    return "\n".join(lines) + "\n"


def _incident(service_id: int, n: int, severity: str, status: str) -> dict[str, Any]:
    return {
        "human_id": f"INC-BENCH-{n}",
        "title": f"Incident {n}",
        "status": status,
        "severity": severity,
        "service_id": service_id,
        "group_key": f"bench-{n}",
        "detected_at": NOW - timedelta(days=3),
        "triggered_at": NOW - timedelta(days=3),
        "resolved_at": NOW - timedelta(days=2) if status == "resolved" else None,
        "last_alert_at": NOW - timedelta(days=3),
        "created_by": "bench",
    }


def build(factory: sessionmaker[Session], actions: int, rng: random.Random) -> list[str]:
    """Write the world described in the module docstring; the services' slugs."""
    with session_scope(factory) as session:
        services = list(session.execute(select(Service.id, Service.slug)).tuples())
        ana = session.scalars(select(User.id).where(User.handle == "ana")).one()
        rows = [_incident(sid, n, "sev2", "resolved") for n, (sid, _) in enumerate(services)]
        sick = rng.sample(services, max(1, len(services) // 50))
        rows += [
            _incident(sid, len(services) + n, "sev1", "acknowledged")
            for n, (sid, _) in enumerate(sick)
        ]
        session.execute(insert(Incident), rows)
        incidents = dict(
            session.execute(
                select(Incident.service_id, Incident.id).where(Incident.status == "resolved")
            )
            .tuples()
            .all()
        )
        session.execute(
            insert(Postmortem),
            [
                {
                    "incident_id": iid,
                    "status": "published",
                    "required": True,
                    "language": "en",
                    "markdown": "",
                    "version": 1,
                    "created_by": "bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for iid in incidents.values()
            ],
        )
        postmortems = dict(
            session.execute(select(Postmortem.incident_id, Postmortem.id)).tuples().all()
        )
        batch: list[dict[str, Any]] = []
        for n in range(actions):
            sid = services[n % len(services)][0]
            must_fix = rng.random() < 0.10
            status = "open" if (must_fix and rng.random() < 1 / 3) else "done"
            if not must_fix and rng.random() < 0.2:
                status = rng.choice(["open", "in_progress", "wont_do"])
            batch.append(
                {
                    "postmortem_id": postmortems[incidents[sid]],
                    "incident_id": incidents[sid],
                    "service_id": sid,
                    "environment": rng.choice(ENVIRONMENTS),
                    "title": f"Corrective action {n}",
                    "owner_user_id": ana,
                    "due_date": date.today() + timedelta(days=rng.randint(-10, 60)),
                    "severity": "sev2",
                    "kind": "quick_fix",
                    "must_fix": must_fix,
                    "status": status,
                    "reason": "not worth it" if status == "wont_do" else None,
                    "created_by": "bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        session.execute(insert(CorrectiveAction), batch)
        session.execute(
            insert(GateOverride),
            [
                {
                    "service_id": sid,
                    "environment": None,
                    "reason": "bench",
                    "created_by": "ana",
                    "created_at": NOW - timedelta(hours=1),
                    "expires_at": NOW + timedelta(hours=hours),
                }
                for hours, (sid, _) in zip((-1, 2, 4), rng.sample(services, 3), strict=True)
            ],
        )
    return [slug for _, slug in services]


def gate_token(factory: sessionmaker[Session]) -> str:
    with session_scope(factory) as session:
        bot = session.scalars(select(User).where(User.handle == "ci-bot")).one()
        _, clear = auth_service.create_token(session, user=bot, name="bench-ci", scopes=["gate"])
    return clear


def questions(slugs: list[str], asks: int, rng: random.Random) -> list[dict[str, str]]:
    out = []
    for _ in range(asks):
        params = {"service": rng.choice(slugs)}
        if rng.random() < 1 / 3:
            params["environment"] = rng.choice(["production", "staging"])
        out.append(params)
    return out


def use_case(factory: sessionmaker[Session], asks: list[dict[str, str]]) -> tuple[list[float], int]:
    timings, blocked = [], 0
    for params in asks:
        started = time.perf_counter()
        with session_scope(factory) as session:
            result, _ = gate.answer(
                session,
                params["service"],
                params.get("environment"),
                asked_by="bench",
                via="cli",
                who=None,
            )
        timings.append((time.perf_counter() - started) * 1000)
        blocked += not result.answer.allowed
    return timings, blocked


def evaluate_only(
    factory: sessionmaker[Session], asks: list[dict[str, str]]
) -> tuple[list[float], int]:
    """The answer's queries alone: no decision written, nothing committed."""
    timings, blocked = [], 0
    for params in asks:
        started = time.perf_counter()
        with factory() as session:
            service, blocking = gate.service_and_severities(session, params["service"])
            env = params.get("environment")
            result = gate.evaluate(session, service, env, None, severities=blocking)
            session.rollback()
        timings.append((time.perf_counter() - started) * 1000)
        blocked += not result.answer.allowed
    return timings, blocked


def over_http(base_url: str, token: str, asks: list[dict[str, str]]) -> tuple[list[float], int]:
    timings, blocked = [], 0
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0
    ) as client:
        for params in asks[:20]:  # warm-up: connection, caches
            client.get("/api/v1/release-gate", params=params)
        for params in asks:
            started = time.perf_counter()
            res = client.get("/api/v1/release-gate", params=params)
            timings.append((time.perf_counter() - started) * 1000)
            if res.status_code not in (200, 409):
                raise RuntimeError(f"the gate answered {res.status_code}: {res.text[:300]}")
            blocked += res.status_code == 409
    return timings, blocked


def report(label: str, timings: list[float], blocked: int) -> None:
    width = 34
    print(f"{label}:")
    print(figure("  answer p50 (ms)", f"{percentile(timings, 0.50):.2f}", width))
    print(figure("  answer p99 (ms)", f"{percentile(timings, 0.99):.2f}", width))
    print(figure("  answer max (ms)", f"{max(timings):.2f}", width))
    print(figure("  blocked (409) / asked", f"{blocked} / {len(timings)}", width), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--asks", type=int, default=2000)
    parser.add_argument("--postgres-url", default=default_postgres_url())
    parser.add_argument(
        "--no-engine-in-serve",
        action="store_true",
        help="serve without the engine thread (PLANTAO_ENGINE_IN_SERVE=false), as with workers",
    )
    args = parser.parse_args()
    rng = random.Random(20261202)
    print_header(
        "release gate benchmark",
        f"PostgreSQL, {args.services} services, {args.actions} corrective actions, "
        f"{args.asks} questions for random services (use case, then HTTP with a gate token), "
        f"engine in serve: {'no' if args.no_engine_in_serve else 'yes'}",
    )
    with (
        PostgresDatabase(args.postgres_url) as database,
        tempfile.TemporaryDirectory() as tmp,
        start_plantao(
            database.url,
            Path(tmp),
            config(args.services),
            env={"PLANTAO_ENGINE_IN_SERVE": "false"} if args.no_engine_in_serve else None,
        ) as plantao,
    ):
        engine = make_engine(database.url)
        try:
            factory = make_sessionmaker(engine)
            slugs = build(factory, args.actions, rng)
            token = gate_token(factory)
            asks = questions(slugs, args.asks, rng)
            report("queries only (gate.evaluate, nothing stored)", *evaluate_only(factory, asks))
            report("use case (gate.answer, new session, committed)", *use_case(factory, asks))
            report(
                "HTTP GET /api/v1/release-gate (gate token)",
                *over_http(plantao.base_url, token, asks),
            )
        finally:
            engine.dispose()
    print_footer()


if __name__ == "__main__":
    main()
