"""Secrets in step output are replaced before anything is stored."""

from __future__ import annotations

import pytest

from plantao.runbooks.redaction import MARK, redact


@pytest.mark.parametrize(
    ("text", "secret_part"),
    [
        ("key=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("ghp_" + "a1B2" * 9, "ghp_"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_"),
        ("xoxb-123456789012-abcdefABCDEF", "xoxb-"),
        ("Authorization: Bearer abc.def-ghi_123", "abc.def-ghi_123"),
        ("password=hunter2 user=ana", "hunter2"),
        ('DB_PASSWORD: "s3cr3t value"', "s3cr3t"),
        ("API-KEY=zz9-top", "zz9-top"),
        ("apikey: k-123456", "k-123456"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl", "eyJ"),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA\n-----END OPENSSH PRIVATE KEY-----",
            "b3BlbnNzaA",
        ),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEcut-off", "MIIE"),
        ("postgres://app:pa55@db:5432/x", "pa55"),
    ],
)
def test_common_token_shapes_are_redacted(text: str, secret_part: str) -> None:
    """Well-known credential formats are replaced by the redaction mark."""
    out = redact(text)
    assert secret_part not in out
    assert MARK in out


def test_declared_secret_values_are_redacted_literally() -> None:
    """Values of secret parameters are removed wherever they appear, longest first."""
    out = redact("a=tok-1 b=tok-1-long", ["tok-1", "tok-1-long"])
    assert out == f"a={MARK} b={MARK}"


def test_ordinary_text_is_left_alone() -> None:
    """Text without credentials passes unchanged, including the word 'token'."""
    text = "3 tokens processed; token count: 5; password policy ok"
    assert redact(text) == text


def test_keys_stay_visible_for_context() -> None:
    """Only the value is replaced, so the reader still sees which setting leaked."""
    assert redact("password=hunter2") == f"password={MARK}"
