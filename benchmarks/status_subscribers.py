"""Status page subscribers: the fan-out step's cost per published update, and a subscription's.

Run: .venv/bin/python benchmarks/status_subscribers.py [--subscribers 5000] [--updates 10]

On PostgreSQL (a database created for the run and dropped after, migrated with ``plantao
migrate``) it writes ``--subscribers`` confirmed e-mail subscribers of the public page (half of
every component, half of component ``api``), publishes a public incident affecting ``api`` and
posts ``--updates`` updates, running the engine's fan-out (``status_fanout_step.fan_out``, in
its own transaction as the engine does) after each. Then ``--subscriptions`` new addresses go
through the subscribe use case (a confirmation outbox row each).

Figures: per update, the fan-out transaction's time (p50/p99/max) and the outbox rows it wrote
(one per subscriber: nobody twice); per subscription, the use case's time (p50/p99). In-process,
no HTTP: the delivery step's sending is measured by ``comms_fanout.py``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

import plantao.tables  # noqa: F401 - every table, for the foreign keys
from harness import (
    PostgresDatabase,
    default_postgres_url,
    figure,
    percentile,
    print_footer,
    print_header,
    run_cli,
)
from plantao import clock
from plantao.config import Settings
from plantao.db import make_engine, make_sessionmaker, run_transaction, session_scope
from plantao.engine import status_fanout_step
from plantao.notify.models import Delivery
from plantao.statuspage import pages, subscriptions
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusSubscriber,
)

SECRET = "bench-status-subscribers-key-0123456789"  # noqa: S105 - a throwaway database


def _setup(factory: object, subscribers: int, now: datetime) -> int:
    with session_scope(factory) as session:  # type: ignore[arg-type]
        page = pages.ensure_default(session)
        for slug in ("api", "web"):
            session.add(
                StatusComponent(
                    page_id=page.id,
                    slug=slug,
                    name=slug,
                    description="",
                    group_name=None,
                    position=0,
                    services=[],
                    status="operational",
                    created_at=now,
                    updated_at=now,
                )
            )
        rows = [
            {
                "page_id": page.id,
                "kind": "email",
                "address": f"s{n}@example.com",
                "components": [] if n % 2 else ["api"],
                "language": "pt-BR" if n % 3 == 0 else "en",
                "token_hash": f"{n:064x}",
                "created_at": now,
                "confirmed_at": now,
                "unsubscribed_at": None,
                "source": None,
            }
            for n in range(subscribers)
        ]
        session.execute(insert(StatusSubscriber), rows)
        incident = PublicIncident(
            page_id=page.id,
            incident_id=None,
            title="Bench incident",
            status="investigating",
            impact="major",
            published_by="bench",
            created_at=now,
            updated_at=now,
            resolved_at=None,
        )
        session.add(incident)
        session.flush()
        api = session.scalar(select(StatusComponent.id).where(StatusComponent.slug == "api"))
        session.add(
            PublicIncidentComponent(
                public_incident_id=incident.id, component_id=api, status="major_outage"
            )
        )
        return incident.id


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--updates", type=int, default=10)
    parser.add_argument("--subscriptions", type=int, default=200)
    parser.add_argument("--postgres-url", default=default_postgres_url())
    args = parser.parse_args()
    print_header(
        "status page subscribers benchmark",
        f"PostgreSQL, {args.subscribers} confirmed subscribers, {args.updates} updates, "
        f"{args.subscriptions} subscriptions (in-process use cases)",
    )
    settings = Settings(secret_key=SECRET, base_url="https://status.example.com")
    with PostgresDatabase(args.postgres_url) as database, tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PLANTAO_DATABASE_URL": database.url, "PLANTAO_SECRET_KEY": SECRET}
        run_cli(env, Path(tmp), "migrate")
        engine = make_engine(database.url)
        try:
            factory = make_sessionmaker(engine)
            incident_id = _setup(factory, args.subscribers, datetime.now(UTC))
            fanout_ms: list[float] = []
            for n in range(args.updates):
                with session_scope(factory) as session:
                    session.add(
                        PublicUpdate(
                            public_incident_id=incident_id,
                            status="identified",
                            body=f"bench update {n}",
                            components={},
                            status_update_id=None,
                            created_by="bench",
                            created_at=clock.now(),
                            notified_at=None,
                        )
                    )
                started = time.perf_counter()
                run_transaction(factory, lambda s: status_fanout_step.fan_out(s, settings))
                fanout_ms.append((time.perf_counter() - started) * 1000)
            with session_scope(factory) as session:
                written = session.scalar(select(func.count()).select_from(Delivery)) or 0
                keys = (
                    session.scalar(select(func.count(func.distinct(Delivery.idempotency_key)))) or 0
                )
            subscribe_ms: list[float] = []
            for n in range(args.subscriptions):
                started = time.perf_counter()
                with session_scope(factory) as session:
                    page = pages.ensure_default(session)
                    subscriptions.subscribe(session, settings, page, f"new{n}@example.org")
                subscribe_ms.append((time.perf_counter() - started) * 1000)
        finally:
            engine.dispose()
    width = 34
    print("fan-out, per update (one transaction):")
    print(figure("  p50 (ms)", f"{percentile(fanout_ms, 0.50):.1f}", width))
    print(figure("  p99 (ms)", f"{percentile(fanout_ms, 0.99):.1f}", width))
    print(figure("  max (ms)", f"{max(fanout_ms):.1f}", width))
    print(figure("  outbox rows per update", f"{written / max(1, args.updates):.0f}", width))
    print(figure("  rows written twice", written - keys, width))
    print("subscribe use case, per address:")
    print(figure("  p50 (ms)", f"{percentile(subscribe_ms, 0.50):.2f}", width))
    print(figure("  p99 (ms)", f"{percentile(subscribe_ms, 0.99):.2f}", width), flush=True)
    print_footer()


if __name__ == "__main__":
    main()
