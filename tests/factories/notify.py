"""Real loopback receivers (HTTP webhook, SMTP) and seeding helpers for notification tests."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog.models import Service
from plantao.db import run_transaction
from plantao.engine.delivery_step import DeliveryStep
from plantao.incidents import service as incident_service
from plantao.notify import contacts, paging
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec, ThrottleSpec
from plantao.people.models import User

WEBHOOK_SECRET = "whsec-test-0123456789"


@dataclass
class WebhookReceiver:
    """A threaded HTTP server on 127.0.0.1 recording every POST; ``status``/``delay`` script it."""

    status: int = 200
    delay: float = 0.0
    bodies: list[bytes] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    arrivals: int = 0  # requests received, counted before the scripted delay
    statuses: dict[str, int] = field(default_factory=dict)  # path → status override
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do
            disable_nagle_algorithm = True  # else headers + body wait on delayed ACKs (40 ms)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.arrivals += 1
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.statuses.get(self.path, receiver.status)
                if status < 300:
                    with receiver._lock:
                        receiver.bodies.append(body)
                        receiver.keys.append(self.headers.get("Idempotency-Key", ""))
                        receiver.signatures.append(self.headers.get("X-Plantao-Signature", ""))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args: Any) -> None:
                return

        class Server(ThreadingHTTPServer):
            request_queue_size = 512  # the default (5) resets bursts of concurrent connections

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def counts(self) -> Counter[str]:
        with self._lock:
            return Counter(self.keys)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class SmtpSink:
    """A real aiosmtpd server on 127.0.0.1 that can be stopped and started on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[Message] = []
        self._controller: Any = None

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
                sink.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def wait_until(what: str, probe: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def deliveries(factory: sessionmaker[Session]) -> list[Delivery]:
    """Every outbox row, oldest first."""
    with factory() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)))


def deliver(step: DeliveryStep, factory: sessionmaker[Session], timeout: float = 15.0) -> int:
    """One pass of the engine's delivery step, waiting until the sends it started have ended:
    how many rows it leased."""
    leased = step(factory, "engine-1")
    assert step.wait_idle(timeout)
    return leased


def user_id(session: Session, handle: str = "ana") -> int:
    return int(session.scalars(select(User.id).where(User.handle == handle)).one())


def give_contacts(
    factory: sessionmaker[Session],
    methods: list[ContactMethodSpec],
    rules: list[NotificationRuleSpec] | None = None,
    throttle: ThrottleSpec | None = None,
    handle: str = "ana",
) -> list[str]:
    rules = rules if rules is not None else [NotificationRuleSpec(m.name) for m in methods]
    return run_transaction(
        factory,
        lambda s: contacts.set_contact_methods(s, user_id(s, handle), methods, rules, throttle),
    )


def open_incidents(
    factory: sessionmaker[Session],
    n: int,
    *,
    title: str = "Checkout errors",
    severity: str = "sev2",
) -> list[int]:
    def work(s: Session) -> list[int]:
        service_id = s.scalars(select(Service.id).order_by(Service.id)).first()
        assert service_id is not None
        ids = []
        for i in range(n):
            incident = incident_service.open_incident(
                s,
                title=f"{title} {i}" if n > 1 else title,
                severity_name=severity,
                service_id=service_id,
                route_id=None,
                group_key=f"test-{i}-{time.monotonic_ns()}",
                group_window_seconds=3600,
                auto_resolve=True,
                detected_at=clock.now() - timedelta(seconds=1),
                actor="test",
            )
            ids.append(incident.id)
        return ids

    return run_transaction(factory, work)


def page(
    factory: sessionmaker[Session],
    incident_ids: list[int],
    *,
    step: str = "1",
    urgency: str = "high",
    handle: str = "ana",
) -> int:
    def work(s: Session) -> int:
        uid = user_id(s, handle)
        return sum(
            paging.page_user(
                s, incident_id=i, user_id=uid, urgency=urgency, reason="on call", step=step
            )
            for i in incident_ids
        )

    return run_transaction(factory, work)
