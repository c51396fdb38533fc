"""Signed tokens of the public subscription forms and links: confirm and unsubscribe links,
the form token that stands in for a session CSRF token, and the webhook subscribers' secrets.

Token: ``<base64url(JSON payload)>.<base64url(HMAC-SHA256)>`` like the action links
(``plantao.notify.link_tokens``), but with a domain of its own per kind, so no action link,
session or form token ever verifies as a subscription link, and a confirm link never
unsubscribes (the purpose is signed too).

Why signed links rather than the random secret alone: the link carries the subscriber's id, so
verifying costs one primary-key read, and the signature is checked before anything is read, so
a guessed link costs nothing but CPU. The subscriber's ``token_hash`` (a hash of a random value
made at subscription) is bound into the link by its first characters: re-subscribing after an
unsubscribe makes a new value, so links mailed before stop working.

Pure: the caller passes the keys (the installation's keyring) and ``now``.
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
from datetime import UTC, datetime, timedelta

__all__ = [
    "CONFIRM",
    "CONFIRM_TTL",
    "FORM_TTL",
    "UNSUBSCRIBE",
    "LinkClaim",
    "TokenError",
    "binds",
    "new_token_hash",
    "sign_form",
    "sign_link",
    "verify_form",
    "verify_link",
    "webhook_secret",
]

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
PURPOSES = (CONFIRM, UNSUBSCRIBE)
#: A confirmation link works for a week; an unsubscribe link as long as the subscription.
CONFIRM_TTL = timedelta(days=7)
#: A subscription form must be sent within two hours of being shown.
FORM_TTL = timedelta(hours=2)
#: How much of ``token_hash`` a link carries (enough to tell generations apart).
_BIND = 16
_LINK = b"plantao.status-subscriber-link.v1:"
_FORM = b"plantao.status-subscribe-form.v1:"
_WEBHOOK = b"plantao.status-webhook-secret.v1:"


class TokenError(ValueError):
    """The token proves nothing here: malformed, tampered, expired or for another purpose.
    Callers show one message for all of them (which one it was helps nobody but a prober)."""


@dataclass(frozen=True)
class LinkClaim:
    """A verified link: ``purpose`` for subscriber ``subscriber_id`` whose ``token_hash``
    starts with ``binding``."""

    purpose: str
    subscriber_id: int
    binding: str


def new_token_hash() -> str:
    """The hash of a fresh random value (the value itself is kept nowhere)."""
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenError("not base64url") from exc


def _mac(key: str, domain: bytes, payload: str) -> bytes:
    if not key:
        raise ValueError("an empty key proves nothing")
    return hmac.new(key.encode(), domain + payload.encode("ascii"), hashlib.sha256).digest()


def _sign(key: str, domain: bytes, data: dict[str, object]) -> str:
    payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_b64(_mac(key, domain, payload))}"


def _open(token: str, keys: Sequence[str], domain: bytes) -> dict[str, object]:
    """The payload of a token any of ``keys`` signed; the MAC is checked (in constant time)
    before the payload is parsed."""
    payload, sep, mac = token.strip().partition(".")
    if not sep or not payload or not mac or len(token) > 2000:
        raise TokenError("not <payload>.<signature>")
    try:
        payload.encode("ascii")
    except UnicodeEncodeError as exc:
        raise TokenError("not base64url") from exc
    given = _unb64(mac)
    if not any(hmac.compare_digest(_mac(k, domain, payload), given) for k in keys if k):
        raise TokenError("signature does not match")
    try:
        data = json.loads(_unb64(payload))
    except ValueError as exc:
        raise TokenError("payload is not JSON") from exc
    if not isinstance(data, dict):
        raise TokenError("payload is not an object")
    return data


def sign_link(key: str, purpose: str, subscriber_id: int, token_hash: str, now: datetime) -> str:
    """A confirm link expires after :data:`CONFIRM_TTL`; an unsubscribe link never does (it
    sits in every update e-mail, and stops working when the subscription is made anew)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    expires = int((now + CONFIRM_TTL).timestamp()) if purpose == CONFIRM else 0
    data = {"p": purpose, "s": subscriber_id, "b": token_hash[:_BIND], "e": expires}
    return _sign(key, _LINK, data)


def verify_link(token: str, keys: Sequence[str], now: datetime, purpose: str) -> LinkClaim:
    """The claim of a link for ``purpose``, or :class:`TokenError`."""
    data = _open(token, keys, _LINK)
    try:
        claim = LinkClaim(str(data["p"]), int(str(data["s"])), str(data["b"]))
        expires = int(str(data["e"]))
    except (KeyError, ValueError) as exc:
        raise TokenError("payload is not understood") from exc
    if claim.purpose != purpose:
        raise TokenError("link is for another purpose")
    if expires and now >= datetime.fromtimestamp(expires, UTC):
        raise TokenError("link expired")
    return claim


def binds(claim: LinkClaim, token_hash: str) -> bool:
    """Whether the link was made for this generation of the subscription."""
    return hmac.compare_digest(claim.binding, token_hash[:_BIND])


def sign_form(key: str, page_slug: str, now: datetime) -> str:
    """The hidden field of a subscription form: the page and when the form was shown."""
    return _sign(key, _FORM, {"f": page_slug, "t": int(now.timestamp())})


def verify_form(token: str, keys: Sequence[str], page_slug: str, now: datetime) -> None:
    """Accept a form token issued for ``page_slug`` within :data:`FORM_TTL` (and not in the
    future beyond a minute of clock skew), else :class:`TokenError`."""
    data = _open(token, keys, _FORM)
    try:
        slug, issued = str(data["f"]), datetime.fromtimestamp(int(str(data["t"])), UTC)
    except (KeyError, ValueError, OverflowError, OSError) as exc:
        raise TokenError("payload is not understood") from exc
    if slug != page_slug:
        raise TokenError("form of another page")
    if not issued - timedelta(minutes=1) <= now < issued + FORM_TTL:
        raise TokenError("form expired")


def webhook_secret(key: str, subscriber_id: int, token_hash: str) -> str:
    """The signing secret of a webhook subscriber, derived rather than stored (the table keeps
    no secret): whoever holds the installation key can compute it, nobody else. Rotating the
    installation key changes it (docs/status-page.md says so)."""
    message = _WEBHOOK + f"{subscriber_id}:{token_hash}".encode()
    return "whsec_" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
