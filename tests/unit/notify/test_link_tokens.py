"""Signed, expiring, single-purpose action links in plantao.notify.link_tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from plantao.errors import Unauthenticated
from plantao.notify.link_tokens import (
    ActionClaim,
    ExpiredLinkError,
    LinkAction,
    MalformedLinkError,
    TamperedLinkError,
    WrongPurposeError,
    sign_action,
    verify_action,
)

SECRET = "server-secret-with-enough-entropy"
NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(hours=1)


def ack_token(**overrides: str) -> str:
    fields = {"incident_id": "INC-42", "subject": "user-7", "nonce": "n-1"} | overrides
    return sign_action(
        SECRET,
        incident_id=fields["incident_id"],
        action=LinkAction.ACK,
        subject=fields["subject"],
        expires_at=EXPIRES,
        nonce=fields["nonce"],
    )


def test_round_trip_returns_the_claim() -> None:
    """A fresh token verifies and yields incident, action, subject, expiry and nonce."""
    claim = verify_action(ack_token(), SECRET, NOW, expected_action=LinkAction.ACK)
    assert claim == ActionClaim("INC-42", LinkAction.ACK, "user-7", EXPIRES, "n-1")


def test_token_is_url_safe() -> None:
    """Tokens only use URL-safe characters, so they fit in a path segment unescaped."""
    token = ack_token(subject="ação/contato+1")
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert set(token) <= allowed


def test_default_nonce_is_random() -> None:
    """Two tokens for the same action differ in their nonce when none is given."""

    def make() -> str:
        return sign_action(
            SECRET, incident_id="INC-1", action="resolve", subject="u", expires_at=EXPIRES
        )

    first, second = make(), make()
    assert first != second
    assert verify_action(first, SECRET, NOW).nonce != verify_action(second, SECRET, NOW).nonce


def test_edited_payload_is_rejected_as_tampered() -> None:
    """Changing the incident id inside the payload breaks the signature."""
    payload_part, _, mac_part = ack_token().partition(".")
    raw = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    raw["i"] = "INC-99"
    forged = base64.urlsafe_b64encode(json.dumps(raw).encode()).rstrip(b"=").decode()
    with pytest.raises(TamperedLinkError):
        verify_action(f"{forged}.{mac_part}", SECRET, NOW)


def test_edited_signature_is_rejected_as_tampered() -> None:
    """Flipping a character of the MAC is detected."""
    token = ack_token()
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(TamperedLinkError):
        verify_action(flipped, SECRET, NOW)


def test_other_secret_is_rejected_as_tampered() -> None:
    """A token signed with another secret does not verify."""
    with pytest.raises(TamperedLinkError, match="signature"):
        verify_action(ack_token(), "another-secret", NOW)


def test_expired_token_is_rejected() -> None:
    """At or after expires_at the token is expired, even though it is authentic."""
    with pytest.raises(ExpiredLinkError, match="expired"):
        verify_action(ack_token(), SECRET, EXPIRES)
    assert verify_action(ack_token(), SECRET, EXPIRES - timedelta(seconds=1)).subject == "user-7"


def test_wrong_purpose_is_rejected() -> None:
    """An ack token cannot be used on the resolve endpoint."""
    with pytest.raises(WrongPurposeError, match="for ack, not resolve"):
        verify_action(ack_token(), SECRET, NOW, expected_action="resolve")


@pytest.mark.parametrize("token", ["", "nodot", ".", "abc.", ".abc", "é.é", "a.b"])
def test_malformed_tokens_are_rejected(token: str) -> None:
    """Garbage is rejected with an ActionLinkError, never an unexpected exception."""
    with pytest.raises((MalformedLinkError, TamperedLinkError)):
        verify_action(token, SECRET, NOW)


def test_authentic_but_unreadable_payload_is_malformed() -> None:
    """A correctly signed payload that is not a claim is reported as malformed."""
    token = ack_token()
    payload_part, _, _ = token.partition(".")
    # a payload that is valid base64 but not a claim, signed the way the module signs
    bogus = base64.urlsafe_b64encode(b'{"x":1}').rstrip(b"=").decode()
    mac = hmac.new(
        SECRET.encode(), b"plantao.action-link.v1:" + bogus.encode(), hashlib.sha256
    ).digest()
    forged = f"{bogus}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert payload_part != bogus
    with pytest.raises(MalformedLinkError):
        verify_action(forged, SECRET, NOW)


def test_link_errors_are_unauthenticated_domain_errors() -> None:
    """Every link error maps to 401 through the DomainError tree."""
    with pytest.raises(Unauthenticated) as caught:
        verify_action(ack_token(), SECRET, EXPIRES)
    assert caught.value.status == 401


def test_signing_requires_aware_expiry_and_known_action() -> None:
    """Naive expiry times and unknown actions are programming errors."""
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_action(
            SECRET, incident_id="i", action="ack", subject="s", expires_at=datetime(2030, 1, 1)
        )
    with pytest.raises(ValueError, match="delete"):
        sign_action(SECRET, incident_id="i", action="delete", subject="s", expires_at=EXPIRES)
