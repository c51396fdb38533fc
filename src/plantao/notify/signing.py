"""Signatures for outgoing generic webhooks (``X-Plantao-Signature``), Stripe-style.

Header: ``X-Plantao-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``.

Why this shape: signing the timestamp together with the raw bytes lets receivers reject replays
older than a tolerance without keeping state, and signing bytes (not re-serialised JSON) means
any JSON library on the receiving side verifies the same thing. Several ``v1=`` entries may be
present while a secret is being rotated; one match is enough. See ``docs/webhooks.md``.

Errors::

    SignatureError(ValueError)
    ├── MalformedSignatureError header missing or not in the t=...,v1=... shape
    ├── SignatureMismatchError  no v1 entry matches (wrong secret, body changed)
    └── StaleSignatureError     timestamp outside the tolerance (replay or skewed clock)
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "MalformedSignatureError",
    "SignatureError",
    "SignatureMismatchError",
    "StaleSignatureError",
    "compute_v1",
    "sign_body",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Plantao-Signature"
DEFAULT_TOLERANCE = timedelta(seconds=300)


class SignatureError(ValueError):
    """The webhook signature does not prove the body came from Plantão just now."""


class MalformedSignatureError(SignatureError):
    pass


class SignatureMismatchError(SignatureError):
    pass


class StaleSignatureError(SignatureError):
    pass


def _key(secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise ValueError("an empty signing secret proves nothing")
    return key


def _unix(ts: int | datetime) -> int:
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return int(ts.timestamp())
    return ts


def compute_v1(secret: str | bytes, body: bytes, ts: int) -> str:
    """Hex HMAC-SHA256 of ``b"<ts>." + body``."""
    return hmac.new(_key(secret), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def sign_body(secret: str | bytes, body: bytes, ts: int | datetime) -> str:
    """The header value for ``body`` sent at ``ts`` (unix seconds or an aware datetime)."""
    unix = _unix(ts)
    return f"t={unix},v1={compute_v1(secret, body, unix)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            raise MalformedSignatureError(f"signature element {part.strip()!r} is not name=value")
        if name == "t":
            if not value.isdigit():
                raise MalformedSignatureError("signature timestamp is not unix seconds")
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise MalformedSignatureError("signature needs t= and at least one v1=")
    return timestamp, candidates


def verify_signature(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> int:
    """Check ``header`` for ``body``; returns the signed timestamp, raises SignatureError.

    Comparison is constant-time (``hmac.compare_digest``) so the signature cannot be guessed
    byte by byte from response timings. The timestamp is checked after the HMAC so a forged
    header learns nothing about the clock.
    """
    if not header:
        raise MalformedSignatureError(f"missing {SIGNATURE_HEADER} header")
    timestamp, candidates = _parse(header)
    expected = compute_v1(secret, body, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise SignatureMismatchError("signature does not match the body")
    if abs(_unix(now) - timestamp) > tolerance.total_seconds():
        raise StaleSignatureError("signature timestamp is outside the tolerance")
    return timestamp
