"""The live hub: one poller per process tells every open live stream which incidents changed.

Why one poller and not one per browser: 200 responders watching the list must cost the database
what one does. The hub reads :class:`~plantao.web.live_cursor.ChangeCursor` at most every
``interval`` (250 ms), sooner when woken: on PostgreSQL it LISTENs on the channel the engines
are already woken by (``plantao.db.WAKE_CHANNEL``: intake accepted, jobs, deliveries and
reaction markers written, an acknowledgement), on SQLite it waits on the in-process event the
same commits set. Changes that wake nobody (a note, a delivery sent) are found by the poll. The
database work runs in a thread; while no stream is open the hub does not read at all.

Fan-out: each stream has a bounded queue of pre-encoded Server-Sent Events chunks (one chunk
per read, shared by every unfiltered stream). A stream whose queue is full is *dropped*: its
response ends and the browser reconnects, so a stalled client never slows the others or holds
memory. A private incident's events go only to the streams of people who may see it (the
change carries its audience; the shared chunk holds public incidents only). Every
``session_check`` seconds the hub asks (one thread hop for all streams) which of
their web sessions ended — logout, logout everywhere, idle or expired — and ends those streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import WAKE_CHANNEL, drop_local_waiter, local_waiter
from plantao.web.live_cursor import ChangeCursor, IncidentChange

log = structlog.get_logger("plantao.live")

LIVE_STREAMS = Gauge("plantao_live_streams", "Open live-update streams (Server-Sent Events)")
LIVE_ENDED = Counter(
    "plantao_live_streams_ended_total",
    "Live streams ended by the server: 'slow' (queue full), 'session' (the web session ended), "
    "'shutdown'",
    ["reason"],
)

#: Given the set of web session ids of open streams, the ones that no longer hold.
SessionCheck = Callable[[set[str]], set[str]]


@dataclass(eq=False)
class Subscriber:
    """One open stream: what it wants (``incident``: one ref, or None for all), its queue, and
    who reads it (``user_id``, ``is_admin``: which private incidents it is told about; a
    stream of nobody in particular hears of public incidents only)."""

    sid: str
    incident: str | None
    queue: asyncio.Queue[bytes]
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str | None = None
    user_id: int | None = None
    is_admin: bool = False

    def chunk(self, public: dict[str, bytes], everything: bytes, private: PrivateFrames) -> bytes:
        """What this stream is sent of one read."""
        mine = b"".join(
            f
            for change, f in private
            if (self.incident is None or change.ref == self.incident)
            and change.visible_to(self.user_id, self.is_admin)
        )
        if self.incident is None:
            return everything + mine
        return public.get(self.incident, b"") + mine


#: The frames of one read's private incidents, each with the change (its audience).
PrivateFrames = Sequence[tuple[IncidentChange, bytes]]


def frame(change: IncidentChange) -> bytes:
    """The Server-Sent Event of one change (``event: incident``, JSON on one ``data:`` line)."""
    payload = {
        "kind": "incident",
        "ref": change.ref,
        "id": change.id,
        "severity": change.severity,
        "status": change.status,
        "title": change.title,
        "new": change.new,
    }
    return b"event: incident\ndata: " + orjson.dumps(payload) + b"\n\n"


class _Waker:
    """Sleep until something may have changed: a NOTIFY on PostgreSQL, the local commit event on
    SQLite, or the timeout; :meth:`interrupt` (the hub stopping) ends the sleep too. Used from
    the poller's thread. A LISTEN connection that fails is dropped and the hub polls until the
    next try (every ``RELISTEN`` seconds)."""

    RELISTEN = 5.0

    def __init__(self, factory: sessionmaker[Session]) -> None:
        bind = factory.kw.get("bind")
        self.bind = bind if isinstance(bind, Engine) and bind.dialect.name == "postgresql" else None
        self.conn: Any = None
        self.local: threading.Event | None = None
        self.bell: tuple[socket.socket, socket.socket] | None = None
        self._next_try = 0.0

    def open(self) -> None:
        if self.bind is None:
            if self.local is None:
                self.local = local_waiter()
            return
        if self.bell is None:
            self.bell = socket.socketpair()
            for end in self.bell:
                end.setblocking(False)
        if self.conn is not None or time.monotonic() < self._next_try:
            return
        self._next_try = time.monotonic() + self.RELISTEN
        try:
            raw = self.bind.raw_connection()
            driver: Any = raw.driver_connection  # the psycopg connection
            raw.detach()  # ours for good: the pool opens another in its place
            driver.autocommit = True
            driver.execute(f"LISTEN {WAKE_CHANNEL}")
            self.conn = driver
        except Exception as exc:
            log.info("live.listen_unavailable", error=type(exc).__name__)

    def wait(self, seconds: float) -> None:
        self.open()
        if self.local is not None:
            if self.local.wait(seconds):
                self.local.clear()
            return
        assert self.bell is not None
        bell = self.bell[0]
        try:
            watched = [bell, self.conn] if self.conn is not None else [bell]
            ready, _, _ = select.select(watched, [], [], seconds)
            if bell in ready:
                with contextlib.suppress(OSError):
                    bell.recv(64)
            if self.conn is not None and self.conn in ready:
                for _ in self.conn.notifies(timeout=0):
                    pass
        except Exception as exc:
            log.info("live.listen_lost", error=type(exc).__name__)
            self._drop_listen()

    def interrupt(self) -> None:
        """End a sleep now (from any thread)."""
        if self.local is not None:
            self.local.set()
        if self.bell is not None:
            with contextlib.suppress(OSError):
                self.bell[1].send(b"!")

    def _drop_listen(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        """Let go of the LISTEN connection and the local event: nobody listens any more (an
        unread LISTEN connection would make PostgreSQL queue notifications for it)."""
        self._drop_listen()
        bell, self.bell = self.bell, None
        for end in bell or ():
            end.close()
        local, self.local = self.local, None
        if local is not None:
            drop_local_waiter(local)


class LiveHub:
    """One per app (``app.state.live_hub``), started and stopped by its lifespan; streams
    :meth:`subscribe` and read their queue (``plantao.web.live_routes``)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        dead_sessions: SessionCheck,
        interval: float = 0.25,
        min_gap: float = 0.05,
        queue_size: int = 64,
        session_check: float = 60.0,
        keepalive: float = 15.0,
    ) -> None:
        self.cursor = ChangeCursor(factory)
        self.waker = _Waker(factory)
        self.dead_sessions = dead_sessions
        self.interval = interval
        self.min_gap = min_gap  # a storm of NOTIFYs must not turn into back-to-back reads
        self.queue_size = queue_size
        self.session_check = session_check
        self.keepalive = keepalive  # proxies and browsers close connections silent for long
        self.subscribers: set[Subscriber] = set()
        self._listening: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._last_read = 0.0

    # -- streams ---------------------------------------------------------------------------

    def subscribe(
        self,
        *,
        sid: str,
        incident: str | None = None,
        user_id: int | None = None,
        is_admin: bool = False,
    ) -> Subscriber:
        subscriber = Subscriber(
            sid=sid,
            incident=incident,
            queue=asyncio.Queue(self.queue_size),
            user_id=user_id,
            is_admin=is_admin,
        )
        self.subscribers.add(subscriber)
        LIVE_STREAMS.set(len(self.subscribers))
        if self._listening is not None:
            self._listening.set()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        LIVE_STREAMS.set(len(self.subscribers))

    def end(self, subscriber: Subscriber, reason: str) -> None:
        """Close one stream from the server side (its response returns)."""
        if subscriber.reason is None:
            subscriber.reason = reason
            LIVE_ENDED.labels(reason).inc()
        subscriber.ended.set()
        self.unsubscribe(subscriber)

    def publish(self, changes: Sequence[IncidentChange]) -> None:
        """Queue the events of one read for every stream that wants them (on the event loop)."""
        if not changes:
            return
        frames: dict[str, bytes] = {}
        private: list[tuple[IncidentChange, bytes]] = []
        for change in changes:
            if change.private:
                private.append((change, frame(change)))
            else:
                frames[change.ref] = frames.get(change.ref, b"") + frame(change)
        everything = b"".join(frames.values())
        for subscriber in list(self.subscribers):
            chunk = subscriber.chunk(frames, everything, private)
            if not chunk:
                continue
            try:
                subscriber.queue.put_nowait(chunk)
            except asyncio.QueueFull:
                self.end(subscriber, "slow")

    # -- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        self._listening = asyncio.Event()
        if self.subscribers:
            self._listening.set()
        self._tasks = [
            asyncio.create_task(self._poll_forever(), name="plantao-live-poll"),
            asyncio.create_task(self._check_sessions_forever(), name="plantao-live-sessions"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        self.waker.interrupt()
        if self._listening is not None:
            self._listening.set()  # a poller waiting for a first stream sees the stop
        for subscriber in list(self.subscribers):
            self.end(subscriber, "shutdown")
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            if task.get_name() == "plantao-live-sessions":
                task.cancel()
        # The interrupted poller leaves its thread at once; waiting for it (rather than
        # cancelling) keeps the waker from being closed under a thread still using it.
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
        await asyncio.to_thread(self.waker.close)

    async def _poll_forever(self) -> None:
        failures = 0
        listening = self._listening
        assert listening is not None
        while not self._stopping:
            if not self.subscribers:
                listening.clear()
                await asyncio.to_thread(self._idle)
                await listening.wait()
                continue
            try:
                changes = await asyncio.to_thread(self._cycle)
            except Exception as exc:
                failures += 1
                log.warning("live.poll_failed", error=type(exc).__name__, failures=failures)
                await asyncio.sleep(min(10.0, 0.5 * 2 ** min(failures, 5)))
                continue
            failures = 0
            self.publish(changes)

    def _idle(self) -> None:
        """Nobody listens: forget the positions (the next stream starts from now) and let go of
        the LISTEN connection."""
        self.cursor.forget()
        self.waker.close()

    def _cycle(self) -> list[IncidentChange]:
        """In the poller's thread: wait to be woken (or for the interval), then read."""
        if self.cursor.primed:
            self.waker.wait(self.interval)
        since = time.monotonic() - self._last_read
        if since < self.min_gap:
            time.sleep(self.min_gap - since)
        self._last_read = time.monotonic()
        return self.cursor.read()

    async def _check_sessions_forever(self) -> None:
        while True:
            await asyncio.sleep(self.session_check)
            await self.check_sessions()

    async def check_sessions(self) -> None:
        """End the streams whose web session ended (one thread hop for all of them)."""
        sids = {s.sid for s in self.subscribers}
        if not sids:
            return
        try:
            dead = await asyncio.to_thread(self.dead_sessions, sids)
        except Exception as exc:  # the database is away: check again next time
            log.warning("live.session_check_failed", error=type(exc).__name__)
            return
        for subscriber in list(self.subscribers):
            if subscriber.sid in dead:
                self.end(subscriber, "session")
