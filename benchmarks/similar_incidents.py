"""How well and how fast "Similar past incidents" finds a probe's own kind in a year of history.

A seeded scripted history: ``--incidents`` resolved incidents (default 2,000) over the last
360 days in ``--families`` alert families (default 40). A family is a component and a problem
(``RedisReplicationLag``, ``KafkaDiskFull``...) on one of twelve services; families share
components, problems, services and words on purpose, so neither the service nor a word gives the
answer away. 10% of incidents are declared by hand (no alerts, only a title; half of them in
other words than the alert's, and half of them on any service); 20% of alert names carry digits
(``Node1DiskFull``: one family); 10% come from a renamed rule (``NodeDiskFullCritical``:
another family key, same problem); 5% are private and 5% still open (never results). Then
``--probes`` new open incidents (default 200), drawn the same way, ask for their five most
similar past incidents as a viewer who is no admin (the private-incident clause runs).

Run: .venv/bin/python benchmarks/similar_incidents.py [--incidents 2000] [--probes 200]
     [--postgres [URL]] (a database of its own is created through URL and dropped after)

Figures: precision@5 (share of the returned top-5 that belong to the probe's family; a probe
whose family has fewer than five past incidents counts only what it could get), the same for
probes declared by hand, the probes with no result, and p50 / p99 latency of one call (ms,
in-process: the use case's queries and scoring, no HTTP; after 5 uncounted warm-up probes and
``gc.freeze()``, as in a running ``plantao serve``). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

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
from plantao.db import make_engine, make_sessionmaker
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.postmortems.similar_incidents import Viewer, similar_to

COMPONENTS = {
    "Node": ("node-exporter", "host"),
    "Postgres": ("postgres-exporter", "database"),
    "Redis": ("redis-exporter", "cache"),
    "Kafka": ("kafka-exporter", "broker"),
    "Rabbitmq": ("rabbitmq-exporter", "broker"),
    "Nginx": ("nginx-exporter", "proxy"),
    "Etcd": ("etcd", "cluster"),
    "Elasticsearch": ("elasticsearch-exporter", "cluster"),
    "Kube": ("kube-state-metrics", "pod"),
    "Api": ("api", "service"),
}
PROBLEMS = {
    "Down": "{comp} on {host} is down and not answering",
    "HighLatency": "{comp} p99 latency on {host} above {n} ms",
    "DiskFull": "{comp} disk on {host} is {n}% full",
    "MemoryHigh": "{comp} memory usage on {host} at {n}%",
    "ErrorsHigh": "{comp} error rate on {host} above {n}%",
    "Restarting": "{comp} on {host} restarted {n} times, crash looping",
    "ReplicationLag": "{comp} replication on {host} lags {n} seconds behind",
    "ConnectionsHigh": "{comp} connections on {host} at {n}% of the maximum",
    "CertExpiring": "TLS certificate of {comp} on {host} expires in {n} days",
    "QueueGrowing": "{comp} queue on {host} grew to {n} messages",
}
#: How a person declaring an incident by hand tends to say it (other words than the alert's).
SAID = {
    "Down": "{comp} unreachable, nothing answers on {host}",
    "HighLatency": "{comp} very slow on {host}, requests take seconds",
    "DiskFull": "no space left on the {comp} volume of {host}",
    "MemoryHigh": "{comp} on {host} runs out of memory",
    "ErrorsHigh": "{comp} failing requests on {host}",
    "Restarting": "{comp} keeps restarting on {host}",
    "ReplicationLag": "{comp} replica on {host} is behind the primary",
    "ConnectionsHigh": "{comp} refuses new connections on {host}",
    "CertExpiring": "{comp} certificate on {host} about to expire",
    "QueueGrowing": "{comp} backlog piling up on {host}",
}
SERVICES = [f"svc-{name}" for name in "abcdefghijkl"]
NAMESPACES = ["prod", "staging", "payments", "search", "data", "edge"]
DAY = timedelta(days=1)
#: Probes run first and not counted: a server process compiles its statements once.
WARM_UP = 5


@dataclass(frozen=True)
class Family:
    index: int
    component: str
    problem: str
    service: str
    namespace: str

    @property
    def alertname(self) -> str:
        return f"{self.component}{self.problem}"


def families(count: int, rng: random.Random) -> list[Family]:
    pairs = [(c, p) for c in COMPONENTS for p in PROBLEMS]
    rng.shuffle(pairs)
    return [
        Family(i, c, p, rng.choice(SERVICES), rng.choice(NAMESPACES))
        for i, (c, p) in enumerate(pairs[:count])
    ]


def incident_shape(family: Family, rng: random.Random) -> tuple[str, list[dict[str, str]]]:
    """A title and the alerts' labels of one occurrence of ``family``."""
    host = f"{COMPONENTS[family.component][1]}-{rng.randrange(1, 40)}"
    title = PROBLEMS[family.problem].format(
        comp=family.component.lower(), host=host, n=rng.randrange(2, 99)
    )
    if rng.random() < 0.10:  # declared by hand: a title, no alerts, half in other words
        if rng.random() < 0.5:
            title = SAID[family.problem].format(comp=family.component.lower(), host=host)
        return title, []
    name = family.alertname
    draw = rng.random()
    if draw < 0.2:  # Node1DiskFull, Node2DiskFull: one family
        name = f"{family.component}{rng.randrange(1, 4)}{family.problem}"
    elif draw < 0.3:  # a renamed or split rule: another family key, same problem
        name = f"{family.component}{family.problem}Critical"
    labels = {
        "alertname": name,
        "severity": rng.choice(["warning", "critical"]),
        "instance": f"{host}:9100",
        "pod": f"{host}-{rng.randrange(10**5):05x}",
        "job": COMPONENTS[family.component][0],
        "namespace": family.namespace if rng.random() < 0.8 else rng.choice(NAMESPACES),
    }
    return title, [labels] * rng.randrange(1, 4)


def service_of(family: Family, labels: list[dict[str, str]], rng: random.Random) -> str:
    """The family's service; an incident declared by hand lands on any service half the time
    (people declare under the service they know, or a catch-all one)."""
    return rng.choice(SERVICES) if not labels and rng.random() < 0.5 else family.service


def seed(url: str, args: argparse.Namespace) -> tuple[list[Family], int]:
    """The history; returns the families and the viewer's user id."""
    rng = random.Random(args.seed)
    fams = families(args.families, rng)
    sessions = make_sessionmaker(make_engine(url, pool_size=2))
    now = datetime.now(UTC)
    with sessions() as session:
        service_ids = {}
        for slug in SERVICES:
            row = Service(slug=slug, name=slug)
            session.add(row)
            session.flush()
            service_ids[slug] = row.id
        integration = Integration(
            slug="am", name="AM", kind="alertmanager", key="k" * 24, service_id=row.id
        )
        viewer = User(handle="vera", name="Vera", global_role="viewer")
        session.add_all([integration, viewer])
        session.flush()
        incidents: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        for n in range(args.incidents):
            family = fams[rng.randrange(len(fams))]
            title, labels = incident_shape(family, rng)
            service = service_of(family, labels, rng)
            at = now - DAY * rng.uniform(1, 360)
            still_open = rng.random() < 0.05
            ended = None if still_open else at + timedelta(minutes=rng.randrange(5, 600))
            incidents.append(
                {
                    "id": n + 1,
                    "human_id": f"INC-B-{n + 1}",
                    "title": title,
                    "status": "triggered" if still_open else "resolved",
                    "severity": "sev3",
                    "service_id": service_ids[service],
                    "group_key": f"f{family.index}",
                    "group_window_seconds": 3600,
                    "auto_resolve": True,
                    "detected_at": at,
                    "triggered_at": at,
                    "resolved_at": ended,
                    "last_alert_at": at,
                    "created_by": "bench",
                    "private": rng.random() < 0.05,
                }
            )
            for k, lab in enumerate(labels):
                alerts.append(
                    _alert(integration.id, service_ids[service], n + 1, k, lab, title, at)
                )
        for chunk in range(0, len(incidents), 5000):
            session.execute(insert(Incident), incidents[chunk : chunk + 5000])
        for chunk in range(0, len(alerts), 5000):
            session.execute(insert(Alert), alerts[chunk : chunk + 5000])
        session.commit()
        if session.get_bind().dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load: without statistics the planner
            # takes the 50,000-row window for 14 rows and skips the alertname index.
            session.execute(text("ANALYZE"))
            session.commit()
        return fams, viewer.id


def _alert(
    integration: int,
    service: int,
    incident: int,
    k: int,
    labels: dict[str, str],
    title: str,
    at: datetime,
) -> dict[str, Any]:
    identity = f"{incident}-{k}"
    return {
        "integration_id": integration,
        "service_id": service,
        "incident_id": incident,
        "identity": identity,
        "source": "alertmanager",
        "status": "resolved",
        "summary": title,
        "severity": "sev3",
        "labels": labels,
        "annotations": {"summary": title},
        "details": {},
        "content_hash": identity,
        "starts_at": at,
        "first_seen_at": at,
        "last_seen_at": at,
        "resolved_at": at,
        "repeat_count": 0,
        "flap_count": 0,
    }


def family_of(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Incident.id, Incident.group_key)).tuples().all())


def probe_all(url: str, fams: list[Family], viewer_id: int, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed + 1)
    sessions = make_sessionmaker(make_engine(url, pool_size=2))
    viewer = Viewer(user_id=viewer_id, is_admin=False)
    precisions: list[float] = []
    declared: list[float] = []
    empty = 0
    latencies: list[float] = []
    with sessions() as session:
        truth = family_of(session)
        per_family: dict[str, int] = {}
        for key in truth.values():
            per_family[key] = per_family.get(key, 0) + 1
        service_ids = dict(session.execute(select(Service.slug, Service.id)).tuples().all())
        integration_id = session.scalars(select(Integration.id)).one()
        base = max(truth) + 1
        gc.collect()
        gc.freeze()  # as ``plantao serve`` does once started (see api/app.py)
        for p in range(-WARM_UP, args.probes):
            family = fams[rng.randrange(len(fams))]
            title, labels = incident_shape(family, rng)
            service = service_of(family, labels, rng)
            now = datetime.now(UTC)
            incident = Incident(
                id=base + WARM_UP + p,
                human_id=f"INC-P-{p}",
                title=title,
                status="triggered",
                severity="sev3",
                service_id=service_ids[service],
                group_key=f"f{family.index}",
                detected_at=now,
                triggered_at=now,
                last_alert_at=now,
                created_by="bench",
            )
            session.add(incident)
            session.flush()
            for k, lab in enumerate(labels):
                session.execute(
                    insert(Alert),
                    [_alert(integration_id, incident.service_id, incident.id, k, lab, title, now)],
                )
            started = time.perf_counter()
            found = similar_to(session, incident, viewer, limit=5)
            elapsed = (time.perf_counter() - started) * 1000
            session.rollback()  # the probe never becomes history
            if p < 0:  # warm-up: statements compiled once per process, not counted
                continue
            latencies.append(elapsed)
            want = f"f{family.index}"
            if not found:
                empty += 1
            hits = sum(1 for f in found if truth.get(f.id) == want)
            possible = min(5, per_family.get(want, 0)) or 1
            precision = hits / possible
            precisions.append(precision)
            if not labels:
                declared.append(precision)
    width = 58
    mean = sum(precisions) / len(precisions)
    print(figure("precision@5 (probe's family among the top 5)", f"{mean:.3f}", width))
    if declared:
        print(
            figure(
                f"precision@5, probes declared by hand ({len(declared)})",
                f"{sum(declared) / len(declared):.3f}",
                width,
            )
        )
    print(figure("probes with no result", f"{empty}/{args.probes}", width))
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    print(
        figure(
            "latency per call p50 / p99 / max (ms)",
            f"{p50:.1f} / {p99:.1f} / {max(latencies):.1f}",
            width,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--families", type=int, default=40)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--postgres", nargs="?", const=default_postgres_url(), default=None)
    args = parser.parse_args()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print_header(
        "similar incidents benchmark",
        f"{backend}: {args.incidents} past incidents in {args.families} families, "
        f"{args.probes} probes, top 5, seed {args.seed}",
    )
    if args.postgres:
        with PostgresDatabase(args.postgres) as database:
            run(database.url, args)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'similar.db'}", args)
    print_footer()


def run(url: str, args: argparse.Namespace) -> None:
    migrations.upgrade(url)
    started = time.perf_counter()
    fams, viewer_id = seed(url, args)
    print(figure("seeding (s)", f"{time.perf_counter() - started:.1f}", 58), flush=True)
    probe_all(url, fams, viewer_id, args)


if __name__ == "__main__":
    main()
