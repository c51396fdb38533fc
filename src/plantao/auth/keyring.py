"""The installation's signing keys: which key signs, which keys still verify.

Sessions and signed action links are HMACs, so whoever knows the key can forge them. There is
no shared default: without ``PLANTAO_SECRET_KEY`` each installation generates a random key in
its own database the first time it needs one (every API process and engine of the installation
reads the same row). ``plantao secret rotate`` retires the signing key and makes a new one; the
retired key keeps verifying for a grace period so links already in people's inboxes still work.
An operator who manages the key outside Plantão rotates by moving the old value to
``PLANTAO_SECRET_KEY_PREVIOUS``.

Two processes generating the first key at once each insert a row; the oldest unretired row
signs, so they agree without a lock.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.models import SigningKey
from plantao.config import Settings
from plantao.observability.scrub import register_secret

# How long a process trusts what it read before looking again: a rotation reaches every process
# within this time.
CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Keyring:
    signing: str
    verifying: tuple[str, ...]  # the signing key first, then retired keys still in grace
    source: str  # "environment" or "database": shown by `plantao secret status`, never the keys


def _from_database(session: Session) -> tuple[Keyring, bool]:
    """The keyring and whether a key had to be created (flushed in ``session``)."""
    now = clock.now()
    rows = list(
        session.scalars(
            select(SigningKey)
            .where((SigningKey.retired_at.is_(None)) | (SigningKey.verify_until > now))
            .order_by(SigningKey.id)
        )
    )
    current = [r for r in rows if r.retired_at is None]
    created = not current
    if created:
        row = SigningKey(
            secret=secrets.token_urlsafe(48), created_at=now, retired_at=None, verify_until=None
        )
        session.add(row)
        session.flush()
        current = [row]
    signing = current[0].secret
    # Newest retired keys first: a link is most likely signed by the key just retired.
    older = [r.secret for r in sorted(rows, key=lambda r: -r.id) if r.secret != signing]
    return Keyring(signing=signing, verifying=(signing, *older), source="database"), created


def _from_environment(settings: Settings) -> Keyring | None:
    if not settings.secret_key:
        return None
    return Keyring(
        signing=settings.secret_key,
        verifying=(settings.secret_key, *settings.previous_secret_keys),
        source="environment",
    )


_cache: dict[str, tuple[float, Keyring]] = {}
_cache_lock = threading.Lock()


def _remember(session: Session, ring: Keyring) -> None:
    for key in ring.verifying:  # whatever happens, no log line ever prints a signing key
        register_secret(key)
    with _cache_lock:
        _cache[str(session.get_bind().engine.url)] = (time.monotonic(), ring)


def ensure(session: Session, settings: Settings) -> Keyring:
    """Create the installation's key if there is none yet. Called by entry points at start-up
    (``migrate``, ``serve``, ``worker``) in a transaction of their own, which they commit."""
    ring = _from_environment(settings)
    if ring is not None:
        return ring
    ring, _ = _from_database(session)
    _remember(session, ring)
    return ring


def current(session: Session, settings: Settings) -> Keyring:
    """The keyring, read through ``session`` at most every ``CACHE_SECONDS`` per process.

    A key created here (an entry point skipped ``ensure``) commits or rolls back with the
    caller's transaction, so it is not cached: a rolled-back key must never sign a link.
    """
    ring = _from_environment(settings)
    if ring is not None:
        return ring
    with _cache_lock:
        hit = _cache.get(str(session.get_bind().engine.url))
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    ring, created = _from_database(session)
    if not created:
        _remember(session, ring)
    return ring


def forget_cached() -> None:
    """Drop what this process read, e.g. right after a rotation it made itself."""
    with _cache_lock:
        _cache.clear()


def rotate(session: Session, *, grace: timedelta) -> SigningKey:
    """Retire the signing key (it verifies for ``grace`` more) and create a new one. Flushes."""
    now = clock.now()
    session.execute(
        update(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .values(retired_at=now, verify_until=now + grace)
    )
    row = SigningKey(
        secret=secrets.token_urlsafe(48), created_at=now, retired_at=None, verify_until=None
    )
    session.add(row)
    session.flush()
    forget_cached()
    return row
