"""Outbox rows to subscribers: addressed ``message`` rows (``plantao.notify.addressed``) that
carry only what the public may read.

A subscriber's row has no incident, user or contact method: its ``channel`` (``email`` or
``webhook``) and ``address`` say where it goes, so the delivery step throttles it per address
like a stakeholder's list and signs a webhook with :func:`webhook_secrets`. ``incident_ref``
is the public incident's own reference (``status-<id>``), never the internal incident's, and
``incident_id`` stays NULL: nothing internal is written where a subscriber's message could
carry it. The idempotency key makes a replay write nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao.auth import keyring
from plantao.config import Settings
from plantao.db import is_postgres
from plantao.notify.models import Delivery
from plantao.statuspage.models import StatusSubscriber
from plantao.statuspage.subscription_tokens import webhook_secret

__all__ = ["Link", "insert", "message_row", "webhook_secrets"]

Link = tuple[str, str, str]  # action, label, url


def message_row(
    *,
    key: str,
    channel: str,
    address: str,
    ref: str,
    severity: str,
    subject: str,
    text: str,
    links: Sequence[Link],
    step: str,
    now: datetime,
) -> dict[str, Any]:
    """One addressed outbox row, as the values of an INSERT."""
    return {
        "idempotency_key": key[:255],
        "kind": "message",
        "incident_id": None,
        "user_id": None,
        "contact_method_id": None,
        "channel": channel,
        "address": address,
        "step": step[:200],
        "reason": "status page subscriber",
        "urgency": "low",
        "incident_ref": ref[:64],
        "severity": severity[:16],
        "subject": subject[:1000],
        "text": text,
        "html": None,
        "links": [{"action": a, "label": label, "url": url} for a, label, url in links],
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def insert(session: Session, rows: list[dict[str, Any]], *, count: bool = True) -> int:
    """Write ``rows`` in one statement, skipping keys written before; with ``count``, returns
    how many were new (one more read; the fan-out of thousands of rows skips it)."""
    if not rows:
        return 0
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = builder(Delivery).on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
    if not count:
        session.execute(stmt, rows)
        return len(rows)
    keys = [r["idempotency_key"] for r in rows]
    before = set(
        session.scalars(select(Delivery.idempotency_key).where(Delivery.idempotency_key.in_(keys)))
    )
    fresh = [r for r in rows if r["idempotency_key"] not in before]
    if fresh:
        session.execute(stmt, fresh)
    return len(fresh)


def webhook_secrets(session: Session, settings: Settings, urls: Iterable[str]) -> dict[str, str]:
    """The signing secret of the webhook subscriber at each URL (the delivery step signs with
    it); the newest subscriber wins if two pages share a URL."""
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    rows = list(
        session.scalars(
            select(StatusSubscriber)
            .where(StatusSubscriber.kind == "webhook", StatusSubscriber.address.in_(wanted))
            .order_by(StatusSubscriber.id)
        )
    )
    if not rows:
        return {}
    key = keyring.current(session, settings).signing
    return {r.address: webhook_secret(key, r.id, r.token_hash) for r in rows}
