"""CPU and SQL statements of ``alerts.service.ingest()`` when alerts open new incidents.

Run: .venv/bin/python benchmarks/ingest_profile.py [--backend sqlite|postgres|both]
     [--repeats 3] [--alerts 500] [--profile SCENARIO] [--link] [--suggest-share 0.5]

The engine applies intake in batches (many requests' events in one ``ingest()`` call and one
transaction), so the cost that matters is per alert when a call opens many incidents at once.
For each backend (a SQLite file; on PostgreSQL a database created for the run and dropped after)
it migrates, applies a small config whose service has an escalation policy (so opening an
incident snapshots the policy and enqueues its first timer), and calls ``ingest()`` directly,
reacting in the same transaction as the engine's inbox step does (starting the escalations and
enqueueing the runbook-link jobs), then committing, with:

- ``distinct/N``: ``--alerts`` events, each with its own sender group key (one new incident per
  alert), in calls of N events (1, 50 and 500);
- ``grouped/N``: ``--alerts`` events spread over 5 sender group keys (5 new incidents), in one
  call of N events.

It prints, as medians over ``--repeats`` runs (fresh identities each run, same database): client
CPU ms per alert (``time.process_time``, which on PostgreSQL leaves out the server's own CPU),
wall ms per alert, SQL statements per call and per new incident (counted with the
``before_cursor_execute`` event, commit hooks included). ``--profile distinct/500`` also prints
the top functions of one extra run under cProfile.

``--link`` then runs the ``runbooks.link`` jobs those calls enqueued, as the engine does (an
``EngineLoop`` with only that handler and no steps: claim, handler and completion transactions),
and prints the client CPU ms per new incident of that phase and of open + link together.
``--suggest-share`` leaves the ``runbook_url`` annotation out of that share of the alerts, so
their linking ranks suggestions (BM25F) instead of honouring the annotation. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from harness import PostgresDatabase, default_postgres_url
from plantao import migrations
from plantao.alerts import service as alert_service
from plantao.alerts.schemas import AlertEvent
from plantao.catalog import service as catalog_service
from plantao.catalog.models import Integration
from plantao.config import Settings
from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import make_engine, make_sessionmaker, run_transaction, session_scope
from plantao.engine.reactions import react, react_to
from plantao.engine.runner import EngineLoop, JobKind, by_name
from plantao.incidents import reactions as incident_reactions
from plantao.runbooks import linking

CONFIG = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana, bruno]}]
users:
  - {handle: ana, name: Ana, email: ana@example.com, time_zone: America/Sao_Paulo}
  - {handle: bruno, name: Bruno, email: bruno@example.com, time_zone: America/Sao_Paulo}
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: payments}
integrations:
  - {slug: am, name: AM, kind: alertmanager, service: checkout, key: bench-key-0123456789abcdef}
schedules:
  - slug: primary
    name: Primary
    time_zone: America/Sao_Paulo
    layers:
      - name: weekly
        rotation: {type: weekly, handoff: "09:00", start: 2026-11-02, participants: [ana, bruno]}
escalation_policies:
  - slug: payments
    name: Payments
    repeat: 1
    steps:
      - {delay: 0m, targets: [{schedule: primary}]}
      - {delay: 5m, targets: [{user: bruno}]}
severity_matrix:
  default: sev3
"""

CALL_SIZES = (1, 50, 500)
GROUPS = 5


@dataclass(frozen=True)
class Scenario:
    name: str
    per_call: int
    groups: int | None  # None: one group per alert


def scenarios(alerts: int) -> list[Scenario]:
    found = [Scenario(f"distinct/{n}", min(n, alerts), None) for n in CALL_SIZES]
    found.append(Scenario(f"grouped/{alerts}", alerts, GROUPS))
    return found


@dataclass(frozen=True)
class Figures:
    cpu_ms_per_alert: float
    wall_ms_per_alert: float
    statements_per_call: float
    statements_per_incident: float
    incidents: int
    link_cpu_ms_per_incident: float | None = None
    open_cpu_ms_per_incident: float | None = None


def make_events(
    run: str, scenario: Scenario, alerts: int, suggest_share: float = 0.0
) -> list[AlertEvent]:
    starts = datetime.now(UTC) - timedelta(minutes=5)
    events = []
    without_url = round(alerts * suggest_share)
    for i in range(alerts):
        group = i % scenario.groups if scenario.groups else i
        labels = {
            "alertname": f"Bench{run}G{group}",
            "instance": f"host-{i}.bench.internal:9100",
            "job": "node",
            "severity": "critical" if i % 7 == 0 else "warning",
            "team": "sre",
        }
        events.append(
            AlertEvent(
                identity=f"{run}-{i}",
                action="firing",
                summary=f"{labels['alertname']} on {labels['instance']}",
                source="alertmanager",
                labels=labels,
                annotations={
                    "summary": f"{labels['alertname']} on {labels['instance']}",
                    "runbook_url": "https://runbooks.example.com/high-error-rate",
                }
                if i >= without_url
                else {"summary": f"high error rate, 5xx responses on {labels['instance']}"},
                sender_severity=labels["severity"],
                starts_at=starts,
                sender_group_key=f"{run}:{group}",
            )
        )
    return events


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_statement)

    def _on_statement(self, *_: Any) -> None:
        self.count += 1


@dataclass(frozen=True)
class Options:
    link: bool = False
    suggest_share: float = 0.0


def link_jobs(factory: sessionmaker[Session]) -> None:
    """Run every pending ``runbooks.link`` job the way the engine does."""
    settings = Settings(env="test")
    job = JobKind(linking.LINK_JOB, lambda f, claimed: linking.link_job(f, claimed, settings))
    loop = EngineLoop(factory, by_name(job), steps=[])
    while loop.run_once():
        pass


def run_once(
    factory: sessionmaker[Session],
    counter: StatementCounter,
    scenario: Scenario,
    alerts: int,
    wrap: Callable[[Callable[[], None]], None] = lambda work: work(),
    options: Options = Options(),
) -> Figures:
    run = uuid.uuid4().hex[:8]
    events = make_events(run, scenario, alerts, options.suggest_share)
    calls = [events[i : i + scenario.per_call] for i in range(0, len(events), scenario.per_call)]
    with factory() as session:
        integration = catalog_service.ref_of(
            session.scalars(select(Integration).where(Integration.slug == "am")).one()
        )
    incidents: set[str] = set()

    def work() -> None:
        for call in calls:
            # As the engine's inbox step does: the incidents' escalations and runbook-link jobs
            # are started in the same transaction, from markers held in memory.
            with session_scope(factory) as session:
                incident_reactions.hold_in_memory(session)
                result = alert_service.ingest(session, integration, call)
                react_to(session, incident_reactions.held(session))
            incidents.update(result.incidents)
            while run_transaction(factory, react):  # markers written by other changes
                pass

    before = counter.count
    cpu, wall = time.process_time(), time.perf_counter()
    wrap(work)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    statements = counter.count - before
    link_cpu: float | None = None
    if options.link:
        link_cpu = time.process_time()
        link_jobs(factory)
        link_cpu = time.process_time() - link_cpu
    opened = max(len(incidents), 1)
    return Figures(
        cpu_ms_per_alert=cpu * 1000 / alerts,
        wall_ms_per_alert=wall * 1000 / alerts,
        statements_per_call=statements / len(calls),
        statements_per_incident=statements / opened,
        incidents=len(incidents),
        link_cpu_ms_per_incident=None if link_cpu is None else link_cpu * 1000 / opened,
        open_cpu_ms_per_incident=cpu * 1000 / opened,
    )


def profile(
    factory: sessionmaker[Session],
    counter: StatementCounter,
    scenario: Scenario,
    alerts: int,
    options: Options,
) -> str:
    profiler = cProfile.Profile()

    def wrap(work: Callable[[], None]) -> None:
        profiler.runcall(work)

    run_once(factory, counter, scenario, alerts, wrap, options)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    return out.getvalue()


@contextmanager
def database(backend: str, postgres_url: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="plantao-ingest-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'plantao.db'}"
        return
    with PostgresDatabase(postgres_url) as pg:
        yield pg.url


def bench_backend(backend: str, args: argparse.Namespace) -> None:
    with database(backend, args.postgres_url) as url:
        migrations.upgrade(url)
        engine = make_engine(url)
        factory = make_sessionmaker(engine)
        with session_scope(factory) as session:
            config_service.apply(session, load_text(CONFIG))
        counter = StatementCounter(engine)
        options = Options(link=args.link, suggest_share=args.suggest_share)
        try:
            warm_up = Scenario("warm-up", 50, None)
            run_once(factory, counter, warm_up, 100, options=options)  # caches, pools
            for scenario in scenarios(args.alerts):
                runs = [
                    run_once(factory, counter, scenario, args.alerts, options=options)
                    for _ in range(args.repeats)
                ]
                line = (
                    f"{backend:<8} {scenario.name:<14} {runs[0].incidents:>9} "
                    f"{statistics.median(r.cpu_ms_per_alert for r in runs):>12.3f} "
                    f"{statistics.median(r.wall_ms_per_alert for r in runs):>12.3f} "
                    f"{statistics.median(r.statements_per_call for r in runs):>10.1f} "
                    f"{statistics.median(r.statements_per_incident for r in runs):>10.2f}"
                )
                if options.link:
                    opened = statistics.median(r.open_cpu_ms_per_incident or 0.0 for r in runs)
                    linked = statistics.median(r.link_cpu_ms_per_incident or 0.0 for r in runs)
                    total = statistics.median(
                        (r.open_cpu_ms_per_incident or 0.0) + (r.link_cpu_ms_per_incident or 0.0)
                        for r in runs
                    )
                    line += f" {opened:>10.3f} {linked:>10.3f} {total:>10.3f}"
                print(line, flush=True)
            if args.profile:
                [chosen] = [s for s in scenarios(args.alerts) if s.name == args.profile]
                print(f"\n--- cProfile, {backend}, {chosen.name} ---")
                print(profile(factory, counter, chosen, args.alerts, options))
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=default_postgres_url())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--profile", help="scenario to profile, e.g. distinct/500")
    parser.add_argument("--link", action="store_true", help="also run the runbooks.link jobs")
    parser.add_argument(
        "--suggest-share", type=float, default=0.0, help="share of alerts without runbook_url"
    )
    args = parser.parse_args(argv)
    print(
        f"ingest() opening incidents: {args.alerts} alerts per scenario, median of {args.repeats}"
    )
    header = (
        f"{'backend':<8} {'scenario':<14} {'incidents':>9} {'cpu ms/alert':>12} "
        f"{'wall ms/alert':>12} {'stmts/call':>10} {'stmts/inc':>10}"
    )
    if args.link:
        header += f" {'open ms/inc':>10} {'link ms/inc':>10} {'o+l ms/inc':>10}"
    print(header)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        bench_backend(backend, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
