"""Postmortem draft generation for a large incident: how long ``drafting.draft`` takes.

Run: .venv/bin/python benchmarks/postmortem_draft.py [--entries 5000] [--runs 200]
     [--no-postgres] [--postgres-url URL]

On SQLite (a file in a temporary directory) and on PostgreSQL (a database created for the run
and dropped after; ``PLANTAO_BENCH_POSTGRES_URL``, else ``PLANTAO_TEST_POSTGRES_URL``), it
migrates, applies a small plantao.yaml, and writes one incident shaped like an alert storm:
``--entries`` timeline entries (80% alerts attached in bursts over two hours, then pages, notes
of every kind, status updates, checklist ticks, role and severity changes), 4,000 alert rows,
change events in the hour before, runbook links and status updates. Then it generates the
draft ``--runs`` times, alternating English and Portuguese, each in a new session (so every run
pays its queries), after five warm-up runs.

Figures: draft wall time p50 / p99 / max (ms); the CPU time this process spent (p50 / p99, a
figure other load on the machine disturbs less; on PostgreSQL the server's share is not in
it); the draft's size in lines and characters. Nothing is asserted (the target, p99 < 500 ms,
is read by a person).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from harness import (
    PostgresDatabase,
    default_postgres_url,
    figure,
    percentile,
    print_footer,
    print_header,
)
from plantao import migrations
from plantao.alerts.models import Alert
from plantao.catalog.models import Integration, Service
from plantao.changes.models import ChangeEvent
from plantao.command.models import StatusUpdate
from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, TimelineEntry
from plantao.postmortems import drafting
from plantao.runbooks.models import RunbookLink

CONFIG = """
version: 1
teams: [{slug: sre, name: SRE, members: [ana]}]
users: [{handle: ana, name: Ana, email: ana@example.com}]
services: [{slug: checkout, name: Checkout, team: sre}]
integrations:
  - {slug: am, name: AM, kind: alertmanager, service: checkout, key: bench-am-0123456789abcdef}
"""
START = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
ALERT_NAMES = ["HighErrorRate", "LatencyHigh", "PodCrashLooping", "ConsumerLag", "DiskFull"]
NOTE_KINDS = ["fact", "inference", "action", "decision"]
HANDLES = ["ana", "bruno", "carla", "dora"]


def build(factory: sessionmaker[Session], entries: int) -> int:
    """The storm incident with ``entries`` timeline entries; its id."""
    rng = random.Random(42)
    with session_scope(factory) as session:
        config_service.apply(session, load_text(CONFIG))
    with session_scope(factory) as session:
        service = session.scalars(select(Service).where(Service.slug == "checkout")).one()
        integration = session.scalars(select(Integration).where(Integration.slug == "am")).one()
        [incident] = incident_service.open_incidents(
            session,
            [
                incident_service.NewIncident(
                    title="Checkout 5xx storm",
                    severity_name="sev2",
                    service_id=service.id,
                    route_id=None,
                    group_key="bench",
                    group_window_seconds=3600,
                    auto_resolve=False,
                    detected_at=START,
                )
            ],
            actor="alertmanager",
        )
        incident.acknowledged_at = START + timedelta(minutes=4)
        incident.mitigated_at = START + timedelta(minutes=50)
        incident.resolved_at = START + timedelta(hours=2)
        session.execute(insert(TimelineEntry), _timeline(incident.id, entries, rng))
        session.execute(insert(Alert), _alerts(incident.id, service.id, integration.id))
        session.add_all(_changes(service.id, integration.id))
        session.add_all(_updates(incident.id))
        session.add_all(_links(incident.id))
        return incident.id


def _timeline(incident_id: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for n in range(count):
        at = START + timedelta(seconds=int(7200 * n / count))
        kind, message, data = _entry(n, rng)
        actor = "alertmanager" if kind.startswith("alert.") else rng.choice(HANDLES)
        rows.append(
            {
                "incident_id": incident_id,
                "at": at,
                "kind": kind,
                "actor": actor,
                "message": message,
                "data": data,
            }
        )
    return rows


def _entry(n: int, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    slot = n % 100
    if slot < 80:
        name = rng.choice(ALERT_NAMES)
        labels = {"alertname": name, "pod": f"checkout-{n}"}
        return "alert.attached", f"Alert attached: {name} on checkout-{n}", {"labels": labels}
    if slot < 85:
        return "notify.paged", f"Paged {rng.choice(HANDLES)} by e-mail", {}
    if slot < 90:
        kind = NOTE_KINDS[n % 4]
        return "note", f"Observation {n}: pool saturation on shard {n % 7}", {"kind": kind}
    if slot < 93:
        return (
            "status_update",
            "Status update",
            {"status": "identified", "impact": f"EU checkouts failing ({n})", "kind": "update"},
        )
    if slot < 97:
        return "checklist.checked", f"Checked step {n % 12}", {"item": f"s{n % 12}"}
    if slot < 99:
        role = rng.choice(["comms_lead", "ops_lead", "scribe"])
        return "role.assigned", "role", {"role": role, "user": rng.choice(HANDLES)}
    before, after = ("sev2", "sev1") if n % 2 else ("sev1", "sev2")
    return "incident.severity", "Severity", {"from": before, "to": after}


def _alerts(incident_id: int, service_id: int, integration_id: int) -> list[dict[str, Any]]:
    return [
        {
            "integration_id": integration_id,
            "service_id": service_id,
            "incident_id": incident_id,
            "identity": f"fp-{n}",
            "source": "alertmanager",
            "status": "resolved",
            "summary": "5xx above 20%",
            "severity": "sev2",
            "labels": {"alertname": ALERT_NAMES[n % 5]},
            "annotations": {},
            "details": {},
            "content_hash": f"{n:032d}",
            "starts_at": START - timedelta(minutes=3) + timedelta(seconds=n),
            "ends_at": None,
            "first_seen_at": START,
            "last_seen_at": START,
            "resolved_at": START + timedelta(hours=2),
            "repeat_count": 0,
            "flap_count": 0,
        }
        for n in range(4000)
    ]


def _changes(service_id: int, integration_id: int) -> list[ChangeEvent]:
    return [
        ChangeEvent(
            integration_id=integration_id,
            service_id=service_id,
            summary=f"checkout v{40 + n} deployed",
            source="argocd",
            occurred_at=START - timedelta(minutes=50 - 10 * n),
            received_at=START - timedelta(minutes=50 - 10 * n),
            details={"author": "deploy-bot"},
        )
        for n in range(5)
    ]


def _updates(incident_id: int) -> list[StatusUpdate]:
    return [
        StatusUpdate(
            incident_id=incident_id,
            kind="update" if n else "initial",
            status="identified",
            impact=f"EU checkouts failing ({n})",
            next_steps=[],
            resolution=None,
            posted_by="ana",
            posted_at=START + timedelta(minutes=10 * n),
        )
        for n in range(12)
    ]


def _links(incident_id: int) -> list[RunbookLink]:
    return [
        RunbookLink(
            incident_id=incident_id,
            ref=f"checkout-{n}",
            title=f"Checkout runbook {n}",
            source="matcher",
            why="",
            url=f"https://runbooks.example.com/checkout-{n}",
            created_at=START,
        )
        for n in range(3)
    ]


def measure(url: str, entries: int, runs: int) -> tuple[list[float], list[float], str]:
    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        factory = make_sessionmaker(engine)
        incident_id = build(factory, entries)
        timings: list[float] = []
        cpu: list[float] = []
        text = ""
        for n in range(runs + 5):
            language = "en" if n % 2 else "pt-BR"
            with factory() as session:
                started, started_cpu = time.perf_counter(), time.process_time()
                incident = session.get(Incident, incident_id)
                assert incident is not None
                text = drafting.draft(session, incident, language)
                elapsed = (time.perf_counter() - started) * 1000
                used = (time.process_time() - started_cpu) * 1000
            if n >= 5:
                timings.append(elapsed)
                cpu.append(used)
        return timings, cpu, text
    finally:
        engine.dispose()


def report(backend: str, timings: list[float], cpu: list[float], text: str) -> None:
    width = 36
    print(f"postmortem draft, {backend}:")
    print(figure("  draft p50 (ms)", f"{percentile(timings, 0.50):.1f}", width))
    print(figure("  draft p99 (ms)", f"{percentile(timings, 0.99):.1f}", width))
    print(figure("  draft max (ms)", f"{max(timings):.1f}", width))
    print(
        figure(
            "  this process's CPU p50 / p99 (ms)",
            f"{percentile(cpu, 0.5):.1f} / {percentile(cpu, 0.99):.1f}",
            width,
        )
    )
    print(
        figure(
            "  draft size (lines / characters)", f"{len(text.splitlines())} / {len(text)}", width
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    print_header(
        "postmortem draft benchmark",
        f"{args.entries} timeline entries, 4000 alerts, {args.runs} drafts per database "
        "(en/pt-BR alternating, new session each)",
    )
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'bench.db'}"
        report("SQLite", *measure(sqlite, args.entries, args.runs))
    if not args.no_postgres:
        with PostgresDatabase(args.postgres_url) as database:
            report("PostgreSQL", *measure(database.url, args.entries, args.runs))
    print_footer()


if __name__ == "__main__":
    main()
