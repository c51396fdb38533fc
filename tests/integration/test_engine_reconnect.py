"""The engine outlives its database: outages are ridden out with backoff, dead workers' jobs
are claimed again within one short lease, and a live worker keeps its jobs by renewing them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import make_engine, make_sessionmaker, run_transaction
from plantao.engine.runner import EngineLoop, JobKind, by_name, start_in_thread
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.notify.specs import ContactMethodSpec, ThrottleSpec
from tests.conftest import empty_postgres
from tests.factories.config import apply_standard
from tests.factories.engine import engine_loop
from tests.factories.notify import (
    WEBHOOK_SECRET,
    WebhookReceiver,
    give_contacts,
    open_incidents,
    page,
    wait_until,
)
from tests.factories.tcp_proxy import FlakyProxy

OUTAGE_SECONDS = 10.0
WORK, SLOW = "test.work", "test.slow"  # kinds of these tests' own, not urgent


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def proxied(postgres_database: str) -> Iterator[tuple[FlakyProxy, Engine, str]]:
    """An empty PostgreSQL database, and an engine that reaches it through a proxy we can cut."""
    url = empty_postgres(postgres_database)
    proxy, proxied_url = FlakyProxy.for_url(url)
    engine = make_engine(proxied_url, pool_size=4)
    yield proxy, engine, url
    proxy.close()
    engine.dispose()


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_engine_survives_a_database_refusing_connections_then_pages(
    proxied: tuple[FlakyProxy, Engine, str], receiver: WebhookReceiver
) -> None:
    """A 10 s outage: the engine says it is down (once), keeps running, and pages afterwards."""
    proxy, engine, url = proxied
    direct_engine = make_engine(url, pool_size=2)
    direct = make_sessionmaker(direct_engine)
    apply_standard(direct)
    give_contacts(
        direct,
        [ContactMethodSpec("hook", "webhook", f"{receiver.url}/hook", WEBHOOK_SECRET)],
        throttle=ThrottleSpec(limit=1000),
    )
    loop = engine_loop(make_sessionmaker(engine))
    thread, stop = start_in_thread(loop)
    try:
        wait_until("a first cycle", lambda: loop.stats.cycles > 0, 10)
        outages = _metric("plantao_engine_database_outages_total")
        proxy.cut()
        cut_at = time.monotonic()
        wait_until("the engine to notice", lambda: loop.outage.down_since is not None, 10)
        assert _metric("plantao_engine_database_up") == 0
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
        assert thread.is_alive(), "the engine died with its connection"
        proxy.restore()

        incident_ids = open_incidents(direct, 1)
        assert page(direct, incident_ids) == 1
        wait_until("the page after the outage", lambda: len(receiver.bodies) == 1, 30)
        # The page may leave mid-cycle; the loop ends the outage once that cycle returns.
        wait_until("the outage to end", lambda: loop.outage.down_since is None, 10)
        assert _metric("plantao_engine_database_up") == 1
        assert _metric("plantao_engine_database_outages_total") == outages + 1
    finally:
        stop.set()
        thread.join(15)
        direct_engine.dispose()
    assert not thread.is_alive()


def _enqueue(factory: sessionmaker[Session], kind: str) -> int:
    return run_transaction(factory, lambda s: job_service.enqueue(s, kind, {}).id)


def _job(factory: sessionmaker[Session], job_id: int) -> Job:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_a_dead_workers_job_is_claimed_again_within_one_short_lease(
    factory: sessionmaker[Session], frozen: object
) -> None:
    """A job leased by a worker that died is run by another engine once its lease (< 1 min) ends."""
    ran: list[int] = []
    job_id = _enqueue(factory, WORK)
    claimed = run_transaction(factory, lambda s: job_service.claim(s, "dead-worker", kinds=[WORK]))
    assert [c.id for c in claimed] == [job_id]
    assert timedelta(minutes=1) >= job_service.DEFAULT_LEASE

    loop = EngineLoop(
        factory=factory, kinds=by_name(JobKind(WORK, lambda _f, job: ran.append(job.id))), steps=[]
    )
    loop.run_once()
    assert ran == [], "the lease is still the dead worker's"
    clock.advance(job_service.DEFAULT_LEASE + timedelta(seconds=1))
    loop.run_once()
    assert ran == [job_id]
    job = _job(factory, job_id)
    assert (job.state, job.attempts, job.locked_by) == ("done", 2, loop.worker_id)


def test_a_live_worker_renews_the_lease_of_a_job_that_outlasts_it(
    factory: sessionmaker[Session],
) -> None:
    """A handler running three leases long keeps its job: nobody else claims it meanwhile."""
    lease = timedelta(seconds=0.6)
    release = threading.Event()
    stolen: list[Claimed] = []

    def slow(_factory: sessionmaker[Session], _job: Claimed) -> None:
        deadline = time.monotonic() + 3 * lease.total_seconds()
        while time.monotonic() < deadline:
            stolen.extend(
                run_transaction(factory, lambda s: job_service.claim(s, "other", kinds=[SLOW]))
            )
            time.sleep(0.1)
        release.set()

    job_id = _enqueue(factory, SLOW)
    loop = EngineLoop(factory=factory, kinds=by_name(JobKind(SLOW, slow)), steps=[], lease=lease)
    loop.run_once()
    assert release.is_set()
    assert stolen == []
    assert loop.leases.renewals >= 2
    job = _job(factory, job_id)
    assert (job.state, job.attempts) == ("done", 1)
