""" "Send a test page to yourself" (seed 003 §11.1's first item): a real delivery through each
of the person's contact methods, and its result per method.

Why through the outbox and not a direct send: the point is to prove the path a real page takes
works — the engine's delivery step, its channels, retries and the receiving end. So the test
page writes one ``message`` outbox row per contact method (all of them, not only those the
notification rules use at once: a method never tested is the one that fails at 3 a.m.), and
the result is read back from those rows: ``pending`` until the engine has an answer,
``delivered`` once sent, ``failed`` with the channel's error when it gave up.

One test page per person per minute (``MIN_INTERVAL``): it reaches phones and mailboxes, and a
double click should not page someone twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import is_postgres, wake_engines
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.notify.models import ContactMethod, Delivery
from plantao.oncall.routine_models import SelfTestPage
from plantao.people.models import User

MIN_INTERVAL = timedelta(seconds=60)
STEP = "test-page"
_PENDING = {"pending", "leased", "retrying", "held", "bundled"}


@dataclass(frozen=True)
class MethodResult:
    """The outcome of the test page on one contact method."""

    contact_method: str
    channel: str
    address: str
    status: str  # pending | delivered | failed
    attempts: int
    error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class TestPageResult:
    id: int
    user: str
    requested_at: datetime
    methods: list[MethodResult]

    @property
    def status(self) -> str:
        """``delivered`` when every method was, ``failed`` when any failed, else ``pending``."""
        states = {m.status for m in self.methods}
        if "failed" in states:
            return "failed"
        return "pending" if "pending" in states or not states else "delivered"


def _key(page_id: int, user_id: int, contact_id: int) -> str:
    return f"{STEP}:{page_id}:{user_id}:{contact_id}"


def send(session: Session, user_id: int, *, requested_by: str, language: str = "en") -> int:
    """Write the test page's outbox rows; returns its id.

    Raises ``Conflict`` (409) within ``MIN_INTERVAL`` of the person's last one, and
    ``ValidationFailed`` (422) when they have no contact method to test.
    """
    # Locking the person's row serializes two clicks (two engines' worth of web workers) on
    # PostgreSQL, so the one-a-minute rule holds under a race; SQLite has one writer anyway.
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound("no such user")
    now = clock.now()
    last = session.scalars(
        select(SelfTestPage.requested_at)
        .where(SelfTestPage.user_id == user_id)
        .order_by(SelfTestPage.requested_at.desc())
        .limit(1)
    ).first()
    if last is not None and now - last < MIN_INTERVAL:
        wait = max(1, math.ceil((MIN_INTERVAL - (now - last)).total_seconds()))
        raise Conflict(f"a test page was sent less than a minute ago; try again in {wait} s")
    methods = list(
        session.scalars(
            select(ContactMethod).where(ContactMethod.user_id == user_id).order_by(ContactMethod.id)
        )
    )
    if not methods:
        raise ValidationFailed(
            "you have no contact method to test",
            errors=[{"field": "contact_methods", "message": "add one on your profile first"}],
        )
    page = SelfTestPage(user_id=user_id, requested_by=requested_by, requested_at=now)
    page.delivery_keys = []
    session.add(page)
    session.flush()
    page.delivery_keys = [_key(page.id, user_id, m.id) for m in methods]
    portuguese = language == "pt-BR"
    subject = "[Plantão] Page de teste" if portuguese else "[Plantão] Test page"
    text = (
        f"Page de teste pedido por {requested_by}: este meio de contato funciona. Nada a fazer."
        if portuguese
        else f"Test page requested by {requested_by}: this contact method works. Nothing to do."
    )
    rows: list[dict[str, Any]] = [
        {
            "idempotency_key": _key(page.id, user_id, m.id),
            "kind": "message",
            "incident_id": None,
            "user_id": user_id,
            "contact_method_id": m.id,
            "channel": m.type,
            "step": STEP,
            "reason": "test page",
            "urgency": "high",
            "incident_ref": f"TEST-{page.id}",
            "severity": "sev4",
            "subject": subject,
            "text": text,
            "html": None,
            "links": [],
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in methods
    ]
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = builder(Delivery).on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
    for row in rows:
        session.execute(stmt, row)
    session.flush()
    wake_engines(session)
    return page.id


def _status(state: str) -> str:
    if state == "sent":
        return "delivered"
    return "pending" if state in _PENDING else "failed"


def result(session: Session, page_id: int, *, user_id: int | None = None) -> TestPageResult:
    """The test page and its per-method outcome; ``user_id`` limits it to its owner (else 404)."""
    page = session.get(SelfTestPage, page_id)
    if page is None or (user_id is not None and page.user_id != user_id):
        raise NotFound(f"test page {page_id} does not exist")
    handle = session.scalars(select(User.handle).where(User.id == page.user_id)).one()
    rows = session.execute(
        select(Delivery, ContactMethod)
        .outerjoin(ContactMethod, ContactMethod.id == Delivery.contact_method_id)
        .where(Delivery.idempotency_key.in_(page.delivery_keys))
        .order_by(Delivery.id)
    ).all()
    methods = [
        MethodResult(
            contact_method=contact.name if contact else "(deleted)",
            channel=delivery.channel,
            address=contact.address if contact else "",
            status=_status(delivery.state),
            attempts=delivery.attempts,
            error=delivery.last_error,
            sent_at=delivery.sent_at,
        )
        for delivery, contact in rows
    ]
    return TestPageResult(page.id, handle, page.requested_at, methods)


def latest(session: Session, user_id: int) -> TestPageResult | None:
    """The person's most recent test page (shown on the "my shift" page)."""
    page_id = session.scalars(
        select(SelfTestPage.id)
        .where(SelfTestPage.user_id == user_id)
        .order_by(SelfTestPage.id.desc())
        .limit(1)
    ).first()
    return None if page_id is None else result(session, page_id)
