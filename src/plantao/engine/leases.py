"""The heartbeat of running jobs: renew the leases of the jobs this engine holds.

Why: a lease long enough for the slowest handler (a runbook step may run for many minutes)
kept a dead engine's jobs untouched for ~70 minutes after a kill -9. Leases are now short
(``jobs.service.DEFAULT_LEASE``) and a live engine renews the leases of the jobs it holds —
claimed and not yet recorded — every third of a lease, from a thread of its own so a handler
that blocks (a shell command, a slow query) cannot starve the renewal. An engine that dies stops
renewing, and another engine claims its jobs within one lease. The renewal is fenced like
completion: a job another engine has re-claimed is not renewed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import timedelta

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed

log = structlog.get_logger("plantao.engine")


class LeaseKeeper:
    """Renews held jobs' leases every ``lease / 3``; its thread runs only while jobs are held."""

    def __init__(self, factory: sessionmaker[Session], lease: timedelta) -> None:
        self.factory = factory
        self.lease = lease
        self.every = lease.total_seconds() / 3
        self._held: dict[tuple[int, int], Claimed] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.renewals = 0

    def hold(self, jobs: Iterable[Claimed]) -> None:
        with self._lock:
            for job in jobs:
                self._held[(job.id, job.attempt)] = job
            if self._held and self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="plantao-engine-leases", daemon=True
                )
                self._thread.start()

    def release(self, jobs: Iterable[Claimed]) -> None:
        with self._lock:
            for job in jobs:
                self._held.pop((job.id, job.attempt), None)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with self._lock:
                jobs = list(self._held.values())
                if not jobs:
                    self._thread = None  # under the lock: hold() starts a new one if needed
                    return
            try:
                lost = run_transaction(self.factory, self._renew(jobs))
            except Exception as exc:  # database away: the engine's loop reports the outage
                log.debug("engine.lease_renewal_failed", error=type(exc).__name__)
                continue
            self.renewals += 1
            for job in lost:
                log.warning("engine.lease_lost", job=job.id, kind=job.kind, attempt=job.attempt)
                self.release([job])

    def _renew(self, jobs: list[Claimed]) -> Callable[[Session], list[Claimed]]:
        def renew(session: Session) -> list[Claimed]:
            return [j for j in jobs if not job_service.extend_lease(session, j, self.lease)]

        return renew

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
