"""Signed, expiring, single-purpose action links (ack / resolve / escalate from a message).

Token: ``<base64url(JSON payload)>.<base64url(HMAC-SHA256)>``; the payload holds incident id,
action, user/contact id, expiry (unix seconds) and a random nonce. The MAC covers a version
prefix plus the encoded payload, so a token signed for another purpose (or another format
version) never verifies here.

Why ``hmac``/``hashlib`` and not ``itsdangerous``: itsdangerous' timed serializers read the wall
clock (``time.time()``) inside ``loads``, while this code base takes ``now`` as a parameter
(``plantao.clock`` is the only clock); the expiry also has to be a field the caller chooses per
action, not a ``max_age`` guessed at verify time. The format is small enough to own, and owning
it keeps it documented for other implementations.

Single use is NOT enforced here: a pure function cannot remember. The caller stores the
``nonce`` of every claim it acts on (until ``expires_at``) and refuses a nonce it has seen.

Errors (all are ``plantao.errors.Unauthenticated``, so the API answers 401)::

    ActionLinkError
    ├── MalformedLinkError      not a token of this format
    ├── TamperedLinkError       the MAC does not match (edited, truncated, wrong secret)
    ├── ExpiredLinkError        valid but past ``expires_at``
    └── WrongPurposeError       valid but for another action than the endpoint expects
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from plantao.errors import Unauthenticated

__all__ = [
    "ActionClaim",
    "ActionLinkError",
    "ExpiredLinkError",
    "LinkAction",
    "MalformedLinkError",
    "TamperedLinkError",
    "WrongPurposeError",
    "sign_action",
    "verify_action",
]

_DOMAIN = b"plantao.action-link.v1:"


class LinkAction(StrEnum):
    ACK = "ack"
    RESOLVE = "resolve"
    ESCALATE = "escalate"


class ActionLinkError(Unauthenticated):
    title = "Invalid action link"


class MalformedLinkError(ActionLinkError):
    pass


class TamperedLinkError(ActionLinkError):
    pass


class ExpiredLinkError(ActionLinkError):
    title = "Expired action link"


class WrongPurposeError(ActionLinkError):
    pass


@dataclass(frozen=True)
class ActionClaim:
    """What a verified token allows: ``subject`` (user or contact id) may ``action`` the
    incident until ``expires_at``; ``nonce`` is the single-use key."""

    incident_id: str
    action: LinkAction
    subject: str
    expires_at: datetime
    nonce: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise MalformedLinkError("action link is not valid base64url") from exc


def _mac(secret: str | bytes, payload_part: str) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    if not key:
        raise ValueError("an empty secret proves nothing")
    return hmac.new(key, _DOMAIN + payload_part.encode("ascii"), hashlib.sha256).digest()


def sign_action(
    secret: str | bytes,
    *,
    incident_id: str,
    action: LinkAction | str,
    subject: str,
    expires_at: datetime,
    nonce: str | None = None,
) -> str:
    """A URL-safe token; ``nonce`` defaults to 96 random bits (pass one only in tests)."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    payload = {
        "a": str(LinkAction(action)),
        "e": int(expires_at.timestamp()),
        "i": incident_id,
        "n": nonce if nonce is not None else secrets.token_urlsafe(12),
        "s": subject,
    }
    encoded = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    payload_part = _b64encode(encoded)
    return f"{payload_part}.{_b64encode(_mac(secret, payload_part))}"


def _claim(raw: bytes) -> ActionClaim:
    try:
        data = json.loads(raw)
        return ActionClaim(
            incident_id=str(data["i"]),
            action=LinkAction(data["a"]),
            subject=str(data["s"]),
            expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            nonce=str(data["n"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise MalformedLinkError("action link payload is not understood") from exc


def verify_action(
    token: str,
    secret: str | bytes | Sequence[str],
    now: datetime,
    expected_action: LinkAction | str | None = None,
) -> ActionClaim:
    """The claim inside ``token``, or an :class:`ActionLinkError` saying why not.

    The MAC is checked first, in constant time, so nothing in an unauthenticated payload is
    trusted or even parsed; expiry and purpose come after. ``secret`` may be several keys (the
    signing key and keys retired by a rotation still in their grace period): any one verifies.
    """
    payload_part, sep, mac_part = token.strip().partition(".")
    if not sep or not payload_part or not mac_part:
        raise MalformedLinkError("action link is not <payload>.<signature>")
    try:
        payload_part.encode("ascii")
    except UnicodeEncodeError as exc:
        raise MalformedLinkError("action link is not valid base64url") from exc
    keys = [secret] if isinstance(secret, str | bytes) else list(secret)
    given = _b64decode(mac_part)
    if not any(hmac.compare_digest(_mac(key, payload_part), given) for key in keys):
        raise TamperedLinkError("action link signature does not match")
    claim = _claim(_b64decode(payload_part))
    if now >= claim.expires_at:
        raise ExpiredLinkError(f"action link expired at {claim.expires_at.isoformat()}")
    if expected_action is not None and claim.action != LinkAction(expected_action):
        raise WrongPurposeError(f"action link is for {claim.action!s}, not {expected_action!s}")
    return claim
