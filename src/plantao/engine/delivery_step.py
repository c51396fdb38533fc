"""The engine's delivery step: send leased outbox rows without blocking the engine cycle.

Each engine cycle calls :class:`DeliveryStep` once. It leases as many due deliveries as it has
free slots (``PLANTAO_DELIVERY_CONCURRENCY`` minus sends in flight) in one short transaction
and hands them to an asyncio loop running in its own thread; it returns at once. Every send
runs under ``asyncio.wait_for`` (``PLANTAO_DELIVERY_TIMEOUT_SECONDS``), and its outcome is
written by its own fenced transaction as soon as it is known. So a slow or dead channel
occupies at most its slots for at most the timeout, never the engine cycle, escalation timers
or the other channels.

Why a delivery step and not one job per delivery: the outbox row already is a durable, leasable
queue item; a job per row would duplicate its state in two tables and cost a claim, a lease
heartbeat and a completion per message. See docs/engine.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import httpx
import structlog
from sqlalchemy.orm import Session, sessionmaker

from plantao.command import stakeholders
from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine import status_fanout_step
from plantao.notify import action_links, delivery
from plantao.notify.channels.base import Channel, DeliveryOutcome, RetryableFailure
from plantao.notify.delivery import Leased
from plantao.observability import metrics

log = structlog.get_logger("plantao.engine.deliver")
SATURATED_WAIT = 0.2
RECORD_BATCH = 200
PURGE_EVERY = 600.0


def _webhook_secrets(session: Session, urls: list[str]) -> dict[str, str]:
    """Stakeholders' webhook secrets, and status page webhook subscribers' (which win)."""
    found = stakeholders.webhook_secrets(session, urls)
    return found | status_fanout_step.webhook_secrets(session, urls)


class DeliveryStep:
    """Lease → send (async, bounded, timed out) → record; see the module docstring."""

    before_jobs = False  # sends what the cycle's urgent jobs just paged

    def __init__(self, settings: Settings, *, channels: dict[str, Channel] | None = None) -> None:
        self.settings = settings
        self.concurrency = settings.delivery_concurrency
        self.timeout = settings.delivery_timeout_seconds
        self.lease = timedelta(seconds=settings.delivery_lease_seconds)
        self.policy = delivery.policy_from(settings)
        self._rng = random.SystemRandom()
        self._given_channels = channels
        self._channels: dict[str, Channel] = {}
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._in_flight = 0
        self._backlog = False
        self._last_purge = time.monotonic()
        self._queue: asyncio.Queue[tuple[Leased, DeliveryOutcome]] | None = None
        self._recorder: asyncio.Task[None] | None = None
        self.sent = 0
        self.failed = 0

    # -- lifecycle -------------------------------------------------------------------------

    def _start(self, factory: sessionmaker[Session]) -> asyncio.AbstractEventLoop:
        if self._loop is not None:
            return self._loop
        loop = asyncio.new_event_loop()
        self._queue = asyncio.Queue()
        self._recorder = loop.create_task(self._record_loop(factory, self._queue))
        self._thread = threading.Thread(
            target=loop.run_forever, name="plantao-delivery", daemon=True
        )
        self._thread.start()
        if self._given_channels is not None:
            self._channels = self._given_channels
        else:
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                limits=httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=32),
            )
            self._channels = delivery.build_channels(self.settings, self._client)
        self._loop = loop
        return loop

    def close(self, timeout: float = 5.0) -> None:
        """Let in-flight sends finish (up to ``timeout``), then stop the loop thread."""
        loop = self._loop
        if loop is None:
            return
        self.wait_idle(timeout)
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout)
        except Exception as exc:  # closing must not mask the engine's own shutdown
            log.warning("deliver.close_failed", error=str(exc))
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
        loop.close()
        self._loop = None

    async def _shutdown(self) -> None:
        if self._recorder is not None:
            self._recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recorder
        if self._client is not None:
            await self._client.aclose()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no send is in flight (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    # -- the step --------------------------------------------------------------------------

    def __call__(self, factory: sessionmaker[Session], worker: str) -> int:
        """Lease into the free slots; returns how many were leased (>0 keeps the loop awake).

        When the last lease filled every slot there is probably more due: wait briefly
        (``SATURATED_WAIT``) for a slot instead of letting the engine sleep a whole idle period.
        """
        self._housekeeping(factory)
        with self._lock:
            if self._backlog and self._in_flight > self.concurrency // 2:
                deadline = time.monotonic() + SATURATED_WAIT
                while self._in_flight > self.concurrency // 2 and time.monotonic() < deadline:
                    self._lock.wait(max(0.0, deadline - time.monotonic()))
            free = self.concurrency - self._in_flight
        if free <= 0:
            return 1 if self._backlog else 0
        leased = run_transaction(
            factory,
            lambda s: delivery.lease_due(
                s,
                self.settings,
                worker,
                limit=free,
                lease=self.lease,
                secrets=_webhook_secrets,
            ),
        )
        self._backlog = len(leased) == free
        if not leased:
            return 0
        loop = self._start(factory)
        with self._lock:
            self._in_flight += len(leased)
        for item in leased:
            asyncio.run_coroutine_threadsafe(self._deliver(factory, item), loop)
        return len(leased)

    def _housekeeping(self, factory: sessionmaker[Session]) -> None:
        """Every PURGE_EVERY seconds: forget used action-link nonces whose links expired."""
        now = time.monotonic()
        if now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        try:
            run_transaction(factory, action_links.purge_used_nonces)
        except Exception as exc:  # housekeeping must never stop delivery
            log.warning("deliver.purge_failed", error=str(exc))

    async def _send(self, item: Leased) -> DeliveryOutcome:
        channel = self._channels.get(item.channel)
        if channel is None or item.target is None:
            return delivery.missing_channel(item.channel)
        started = time.perf_counter()
        try:
            return await asyncio.wait_for(channel.send(item.message, item.target), self.timeout)
        except TimeoutError:
            return RetryableFailure(f"no answer within {self.timeout:g}s")
        except Exception as exc:  # a channel bug is one failed attempt, not a dead engine
            log.error("deliver.channel_error", delivery=item.id, channel=item.channel, exc_info=exc)
            return RetryableFailure(f"channel error: {type(exc).__name__}: {exc}")
        finally:
            metrics.NOTIFY_SEND_SECONDS.labels(item.channel).observe(time.perf_counter() - started)

    async def _deliver(self, factory: sessionmaker[Session], item: Leased) -> None:
        outcome = await self._send(item)
        assert self._queue is not None
        self._queue.put_nowait((item, outcome))

    async def _record_loop(
        self,
        factory: sessionmaker[Session],
        queue: asyncio.Queue[tuple[Leased, DeliveryOutcome]],
    ) -> None:
        """Write outcomes as they come, many per transaction when many finish together.

        The slot of a delivery is freed only once its outcome is committed (or failed to be),
        so the number of leased-and-unrecorded rows never exceeds the concurrency.
        """
        while True:
            batch = [await queue.get()]
            while not queue.empty() and len(batch) < RECORD_BATCH:
                batch.append(queue.get_nowait())
            try:
                states = await asyncio.to_thread(run_transaction, factory, self._writer(batch))
            except Exception as exc:  # the leases expire and other attempts follow
                log.error(
                    "deliver.record_failed", deliveries=[i.id for i, _ in batch], exc_info=exc
                )
                states = ["unrecorded"] * len(batch)
            for (item, outcome), state in zip(batch, states, strict=True):
                metrics.NOTIFY_DELIVERIES.labels(item.channel, state).inc()
                if state == "sent":
                    self.sent += 1
                    continue
                self.failed += 1
                log.warning(
                    "deliver.not_sent",
                    delivery=item.id,
                    channel=item.channel,
                    attempt=item.attempt,
                    state=state,
                    reason=getattr(outcome, "reason", None),
                )
            with self._lock:
                self._in_flight -= len(batch)
                self._lock.notify_all()

    def _writer(
        self, batch: list[tuple[Leased, DeliveryOutcome]]
    ) -> Callable[[Session], list[str]]:
        def write(session: Session) -> list[str]:
            return [
                delivery.record(session, item, outcome, self.policy, self._rng)
                for item, outcome in batch
            ]

        return write
