"""Webhook signatures (X-Plantao-Signature) in plantao.notify.signing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plantao.notify.signing import (
    MalformedSignatureError,
    SignatureMismatchError,
    StaleSignatureError,
    compute_v1,
    sign_body,
    verify_signature,
)

SECRET = "whsec_test"
BODY = b'{"type":"plantao.notification","subject":"hi"}'
TS = 1_700_000_000
AT_TS = datetime.fromtimestamp(TS, UTC)


def test_known_vector_matches_docs() -> None:
    """The example in docs/webhooks.md (secret s3cret, t=1700000000) is reproduced exactly."""
    assert sign_body("s3cret", BODY, TS) == (
        "t=1700000000,v1=50b75d5612401f63e08315b93646fa049417617a4853d0e131b701ab2bcb4e23"
    )


def test_round_trip_returns_the_timestamp() -> None:
    """A header made by sign_body verifies against the same body and secret."""
    header = sign_body(SECRET, BODY, TS)
    assert verify_signature(SECRET, BODY, header, AT_TS + timedelta(seconds=30)) == TS


def test_datetime_timestamps_are_accepted() -> None:
    """sign_body takes an aware datetime as well as unix seconds."""
    assert sign_body(SECRET, BODY, AT_TS) == sign_body(SECRET, BODY, TS)


def test_changed_body_is_a_mismatch() -> None:
    """One changed byte in the body fails verification."""
    header = sign_body(SECRET, BODY, TS)
    with pytest.raises(SignatureMismatchError):
        verify_signature(SECRET, BODY.replace(b"hi", b"ho"), header, AT_TS)


def test_wrong_secret_is_a_mismatch() -> None:
    """A signature made with another secret fails verification."""
    with pytest.raises(SignatureMismatchError):
        verify_signature("other", BODY, sign_body(SECRET, BODY, TS), AT_TS)


def test_timestamp_is_covered_by_the_signature() -> None:
    """Replacing t= with a fresh timestamp breaks the signature (replays cannot be refreshed)."""
    v1 = compute_v1(SECRET, BODY, TS)
    later = TS + 3600
    with pytest.raises(SignatureMismatchError):
        verify_signature(SECRET, BODY, f"t={later},v1={v1}", datetime.fromtimestamp(later, UTC))


@pytest.mark.parametrize("offset", [301, -301, 86_400])
def test_stale_or_future_timestamps_are_rejected(offset: int) -> None:
    """Signatures more than 300 s away from now (either way) are stale."""
    header = sign_body(SECRET, BODY, TS)
    with pytest.raises(StaleSignatureError):
        verify_signature(SECRET, BODY, header, AT_TS + timedelta(seconds=offset))


def test_tolerance_is_configurable() -> None:
    """A wider tolerance accepts an older signature."""
    header = sign_body(SECRET, BODY, TS)
    later = AT_TS + timedelta(minutes=10)
    assert verify_signature(SECRET, BODY, header, later, tolerance=timedelta(minutes=15)) == TS


def test_any_matching_v1_is_enough_during_rotation() -> None:
    """With two v1 entries (old and new secret) the one that matches is accepted."""
    header = f"t={TS},v1={compute_v1('old', BODY, TS)},v1={compute_v1(SECRET, BODY, TS)}"
    assert verify_signature(SECRET, BODY, header, AT_TS) == TS


@pytest.mark.parametrize(
    "header",
    [None, "", "garbage", f"t={TS}", "v1=abc", "t=soon,v1=abc", f"t={TS},v1"],
)
def test_malformed_headers_are_rejected(header: str | None) -> None:
    """Missing or misshapen headers raise MalformedSignatureError."""
    with pytest.raises(MalformedSignatureError):
        verify_signature(SECRET, BODY, header, AT_TS)


def test_empty_secret_is_refused() -> None:
    """Signing with an empty secret is a configuration error, not a valid signature."""
    with pytest.raises(ValueError, match="empty"):
        sign_body("", BODY, TS)
