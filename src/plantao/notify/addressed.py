"""Outbox rows that belong to nobody: messages to an e-mail list or a chat channel's webhook.

A status update to a stakeholder that is a list or a channel (``plantao.command.stakeholders``)
is a ``deliveries`` row with no user and no contact method: its ``channel`` and ``address``
say where it goes. Leasing treats it like a page except for three things decided here:

* **Target.** The row's own ``address``; a generic ``webhook`` is signed with the secret its
  owner keeps (the caller passes a lookup, because the stakeholders live above ``notify``).
* **Privacy.** A row whose incident was made private after it was written is cancelled, not
  sent (the fan-out never writes one for a private incident).
* **Throttle.** Per address, a sliding window like a contact method's, but wider
  (:data:`LIMIT` per :data:`WINDOW`): a channel is shared by every incident that informs it, and
  a burst of Sev1 updates must not wait a quarter of an hour. A message over the limit is not
  bundled into a digest (nobody's language or name to write one in); it stays ``pending``,
  due when the window opens, so nothing is dropped and the order is kept. On PostgreSQL a
  transaction-scoped advisory lock per address makes two engines agree on the window.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Integer, func, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session

from plantao.db import is_postgres
from plantao.incidents.models import Incident
from plantao.notify import throttle
from plantao.notify.channels.base import ContactTarget
from plantao.notify.models import Delivery

__all__ = ["LIMIT", "PRIVATE", "WINDOW", "SecretLookup", "is_addressed", "release"]

LIMIT = 20
WINDOW = timedelta(minutes=15)
#: ``(session, webhook URLs) → {URL: signing secret}``
SecretLookup = Callable[[Session, list[str]], dict[str, str]]
PRIVATE = "cancelled: the incident is private now; lists and channels do not hear of it"
_LOCK_SPACE = 0x504C4144  # "PLAD": keeps these advisory locks apart from other users'


def is_addressed(row: Delivery) -> bool:
    """A row that goes to its own address rather than to a contact method."""
    return row.contact_method_id is None and row.user_id is None and row.address is not None


def _lock(session: Session, addresses: Sequence[str]) -> None:
    """One statement taking every address's advisory lock, in key order (no deadlock between
    engines locking overlapping sets)."""
    if not is_postgres(session) or not addresses:
        return  # SQLite: one writer, one engine
    keys = sorted({zlib.crc32(a.encode()) - 2**31 for a in addresses})
    rows = func.unnest(array(keys, type_=Integer)).table_valued("key").render_derived()
    session.execute(
        select(func.pg_advisory_xact_lock(_LOCK_SPACE, rows.c.key))
        .select_from(rows)
        .order_by(rows.c.key)
    )


def _now_private(session: Session, rows: Sequence[Delivery]) -> set[int]:
    ids = sorted({r.incident_id for r in rows if r.incident_id is not None})
    if not ids:
        return set()
    return set(
        session.scalars(select(Incident.id).where(Incident.id.in_(ids), Incident.private.is_(True)))
    )


def release(
    session: Session,
    rows: Sequence[Delivery],
    now: datetime,
    secrets: SecretLookup | None,
) -> dict[int, ContactTarget]:
    """The targets of the addressed ``rows`` the throttle lets out now (by row id); the others
    are put back to wait for their window (``pending``, due later), and those of an incident
    made private since they were written are cancelled (a list or a channel never hears of a
    private incident, not even through a retry). Flushes nothing itself."""
    if not rows:
        return {}
    private = _now_private(session, rows)
    for row in rows:
        if row.incident_id in private:
            row.state, row.finished_at, row.lease_until = "cancelled", now, None
            row.last_error = PRIVATE
    rows = [r for r in rows if r.incident_id not in private]
    if not rows:
        return {}
    addresses = [r.address for r in rows if r.address is not None]
    _lock(session, addresses)
    recent: dict[str, list[datetime]] = {a: [] for a in addresses}
    for address, at in session.execute(
        select(Delivery.address, Delivery.released_at).where(
            Delivery.contact_method_id.is_(None),
            Delivery.released_at > now - WINDOW,
            Delivery.address.in_(sorted(set(addresses))),
        )
    ):
        if address is not None and at is not None:
            recent[address].append(at)
    webhooks = sorted({r.address for r in rows if r.channel == "webhook" and r.address})
    keys = secrets(session, webhooks) if secrets is not None and webhooks else {}
    targets: dict[int, ContactTarget] = {}
    for row in rows:
        address = row.address or ""
        if row.released_at is None:
            decision = throttle.decide(recent[address], now, limit=LIMIT, window=WINDOW)
            if isinstance(decision, throttle.Hold):
                row.state, row.next_attempt_at, row.lease_until = "pending", decision.until, None
                row.last_error = f"throttled: more than {LIMIT} messages to this address"
                continue
            row.released_at = now
            recent[address].append(now)
        targets[row.id] = ContactTarget(address=address, secret=keys.get(address))
    return targets
