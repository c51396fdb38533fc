"""The engine loop: claim due jobs, run their handlers, record the outcome.

Short cycles (at most ``idle`` seconds of sleep) keep timer lateness low; on PostgreSQL a
LISTEN connection wakes the loop as soon as a job is committed. Each job runs outside the claim
transaction, so a slow handler (a runbook step with a long timeout) holds no lock; its lease is
short and renewed while the engine holds it (``engine/leases.py``), and checked (fenced) when
the result is written.

A database that goes away (refused, dropped, timed out) ends the cycle, not the engine: the
loop waits with capped, jittered backoff, reports itself unhealthy and reconnects
(``engine/outage.py``).
"""

from __future__ import annotations

import contextlib
import os
import select as select_module
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import drop_local_waiter, local_waiter, run_transaction
from plantao.engine.handlers import registry
from plantao.engine.handlers import steps as default_steps
from plantao.engine.leases import LeaseKeeper
from plantao.engine.outage import Outage, database_unavailable
from plantao.engine.step import Handler, JobKind, Step, by_name
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed
from plantao.observability.metrics import ENGINE_CYCLE

log = structlog.get_logger("plantao.engine")


class Retry(Exception):
    """A handler's way to ask for another attempt later."""

    def __init__(self, reason: str, after: timedelta = timedelta(seconds=30)) -> None:
        super().__init__(reason)
        self.after = after


__all__ = ["EngineLoop", "Handler", "JobKind", "Retry", "Step", "by_name", "make_loop"]


@dataclass
class EngineStats:
    cycles: int = 0
    last_cycle_at: float = 0.0
    last_cycle_seconds: float = 0.0
    jobs_done: int = 0
    jobs_failed: int = 0


@dataclass
class EngineLoop:
    factory: sessionmaker[Session]
    kinds: Mapping[str, JobKind]  # what this loop runs: handlers.registry() or a by_name(...)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    idle: float = 0.5  # timers due in the future are found by this poll: lateness <= idle
    # After a cycle that found only a little work, wait this long before the next one, so that
    # a steady trickle (intake entries, each with its NOTIFY) is applied in batches rather than
    # one tiny transaction after another: the fixed cost of a cycle (three or four short
    # transactions) otherwise eats a core and starves the API process on a small machine.
    coalesce: float = 0.02
    light_cycle: int = 50
    batch: int = 10
    slow_batch: int = 2  # non-urgent jobs per cycle (see run_once)
    lease: timedelta = job_service.DEFAULT_LEASE  # renewed every lease/3 while held
    stats: EngineStats = field(default_factory=EngineStats)
    steps: list[Step] | None = None  # None: the steps of plantao.engine.handlers.steps()
    outage: Outage = field(default_factory=Outage)
    _slow_lane_running: bool = field(default=False, init=False, repr=False)
    leases: LeaseKeeper = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name, kind in self.kinds.items():
            if name != kind.name:
                raise ValueError(f"job kind {kind.name!r} is registered as {name!r}")
        if self.steps is None:
            self.steps = default_steps()
        self.leases = LeaseKeeper(self.factory, self.lease)

    def run_once(self) -> int:
        """One cycle: urgent jobs, the steps, then a few other jobs. Returns how much ran.

        Why this order: a page must not wait behind slow work, nor for another cycle. Steps
        marked ``before_jobs`` run first (applying the intake inbox, then the reactions that
        start escalations), so an incident opened now has its escalation timer run in the same
        cycle; urgent jobs (escalation timers) next;
        then the other steps (delivery sends what the timers just paged). The remaining jobs
        (runbook linking and steps, tens of milliseconds each) run in the slow lane thread
        under ``run_forever``, or last and ``slow_batch`` at a time when ``run_once`` is
        called alone.
        """
        started = time.perf_counter()
        steps = self.steps or []
        first = [step for step in steps if step.before_jobs]
        ran = self._run_steps(first)
        ran += self._claim_and_run(self._urgent(), self.batch)
        ran += self._run_steps([step for step in steps if step not in first])
        if not self._slow_lane_running:  # run_once alone (tests, tools): do everything here
            ran += self._claim_and_run(self._other(), self.slow_batch)
        self.stats.cycles += 1
        self.stats.last_cycle_at = time.time()
        self.stats.last_cycle_seconds = time.perf_counter() - started
        ENGINE_CYCLE.observe(self.stats.last_cycle_seconds)
        return ran

    def _urgent(self) -> list[str]:
        return [kind.name for kind in self.kinds.values() if kind.urgent]

    def _other(self) -> list[str]:
        return [kind.name for kind in self.kinds.values() if not kind.urgent]

    def _claim_and_run(self, kinds: list[str], limit: int) -> int:
        if not kinds:
            return 0
        claimed = run_transaction(
            self.factory,
            lambda s: job_service.claim(
                s, self.worker_id, limit=limit, lease=self.lease, kinds=kinds
            ),
        )
        self.leases.hold(claimed)
        try:
            for job in claimed:
                self._run(job)
                self.leases.release([job])
        finally:
            # Jobs left unrun (the database went away mid-batch) are no longer renewed: their
            # short lease expires and any engine claims them again.
            self.leases.release(claimed)
        return len(claimed)

    def _run_steps(self, steps: list[Step]) -> int:
        """Run some of the cycle's steps; one failing step does not stop the others."""
        done = 0
        for step in steps:
            try:
                done += step(self.factory, self.worker_id)
            except Exception as exc:
                if database_unavailable(exc):
                    raise  # the whole cycle waits for the database (run_forever's backoff)
                log.error("engine.step_failed", step=repr(step), exc_info=exc)
        return done

    def close_steps(self) -> None:
        for step in self.steps or ():
            close = getattr(step, "close", None)
            if close is not None:
                close()

    def _run(self, job: Claimed) -> None:
        handler = self.kinds[job.kind].handler
        error: str | None = None
        retry_in: timedelta | None = None
        try:
            handler(self.factory, job)
        except Retry as exc:
            error, retry_in = str(exc), exc.after
        except Exception as exc:  # a handler bug must not stop the engine
            if database_unavailable(exc):
                raise  # not the job's fault: its lease expires and it runs again
            log.error("engine.job_failed", job=job.id, kind=job.kind, exc_info=exc)
            error, retry_in = f"{type(exc).__name__}: {exc}", timedelta(seconds=30)
        if error is None:
            self.stats.jobs_done += 1
            run_transaction(self.factory, lambda s: job_service.complete(s, job))
            return
        self.stats.jobs_failed += 1
        message = error
        run_transaction(
            self.factory, lambda s: job_service.fail(s, job, message, retry_in=retry_in)
        )

    def run_forever(self, stop: threading.Event) -> None:
        """Cycle until ``stop``; slower jobs run in a second thread of their own (the slow lane),
        so that linking runbooks for a storm never delays the next escalation timer."""
        waker = _Waker(self.factory)
        lane = threading.Thread(
            target=self._slow_lane, args=(stop,), name="plantao-engine-slow", daemon=True
        )
        self._slow_lane_running = True
        lane.start()
        try:
            while not stop.is_set():
                try:
                    ran = self.run_once()
                except Exception as exc:
                    if database_unavailable(exc):
                        waker.drop()
                        stop.wait(self.outage.failed(exc))
                        continue
                    log.error("engine.cycle_failed", exc_info=exc)  # a bug: say so, go on
                    ran = 0
                self.outage.recovered()
                if ran == 0:
                    waker.wait(self.idle, stop)
                elif ran < self.light_cycle:
                    stop.wait(self.coalesce)
        finally:
            waker.close()
            lane.join(timeout=30)
            self._slow_lane_running = False
            self.leases.close()
            self.close_steps()

    def _slow_lane(self, stop: threading.Event) -> None:
        other = self._other()
        while not stop.is_set():
            try:
                ran = self._claim_and_run(other, self.slow_batch)
            except Exception as exc:
                if database_unavailable(exc):  # the main loop logs the outage and ends it
                    stop.wait(self.outage.failed(exc))
                    continue
                log.error("engine.slow_lane_failed", exc_info=exc)
                ran = 0
            if ran == 0:
                stop.wait(self.idle)


class _Waker:
    """LISTEN on PostgreSQL so that a NOTIFY ends the idle sleep at once; elsewhere (SQLite) an
    in-process event that ``db.wake_engines`` sets after commit (the engine is a thread of
    ``plantao serve``, beside every writer), so a marker or job is picked up in milliseconds.

    The LISTEN connection is a luxury: when it fails (the database went away) the waker drops
    it, sleeps by polling, and listens again once a cycle has succeeded, at most every
    ``RELISTEN`` seconds. It never raises: it used to, and that killed the engine.
    """

    RELISTEN = 5.0

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.conn: Any = None
        bind = factory.kw.get("bind")
        postgres = isinstance(bind, Engine) and bind.dialect.name == "postgresql"
        self.bind: Engine | None = bind if postgres else None
        self._next_try = 0.0
        self.local: threading.Event | None = None if postgres else local_waiter()
        self._listen()

    def _listen(self) -> None:
        if self.bind is None or time.monotonic() < self._next_try:
            return
        self._next_try = time.monotonic() + self.RELISTEN
        try:
            raw = self.bind.raw_connection()
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            raw.cursor().execute(f"LISTEN {job_service.CHANNEL}")
            self.conn = raw
        except Exception as exc:  # poll until the next try
            log.info("engine.listen_unavailable", error=type(exc).__name__)

    def wait(self, seconds: float, stop: threading.Event) -> None:
        if self.local is not None:
            self._wait_local(self.local, seconds, stop)
            return
        if self.conn is None:
            self._listen()
        if self.conn is None:
            stop.wait(seconds)
            return
        started = time.monotonic()
        try:
            driver = self.conn.driver_connection
            ready, _, _ = select_module.select([driver.fileno()], [], [], seconds)
            if ready:
                for _ in driver.notifies(timeout=0):
                    pass
        except Exception as exc:  # the connection dropped: poll for the rest of the sleep
            log.info("engine.listen_lost", error=type(exc).__name__)
            self.drop()
            stop.wait(max(0.0, seconds - (time.monotonic() - started)))

    LOCAL_SLICE = 0.05  # how often a local wait looks at ``stop``

    @classmethod
    def _wait_local(cls, local: threading.Event, seconds: float, stop: threading.Event) -> None:
        """Sleep until woken, ``seconds`` pass or ``stop``; a wake during the cycle that
        follows stays set, so the next wait returns at once (none is lost)."""
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if local.wait(min(left, cls.LOCAL_SLICE)):
                local.clear()
                return

    def drop(self) -> None:
        """Forget the LISTEN connection (closed, never returned to the pool in LISTEN mode)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.invalidate()

    def close(self) -> None:
        self.drop()
        if self.local is not None:
            drop_local_waiter(self.local)


def make_loop(factory: sessionmaker[Session]) -> EngineLoop:
    """An engine loop with every registered job kind."""
    return EngineLoop(factory=factory, kinds=registry())


def start_in_thread(loop: EngineLoop) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=loop.run_forever, args=(stop,), name="plantao-engine", daemon=True
    )
    thread.start()
    return thread, stop
