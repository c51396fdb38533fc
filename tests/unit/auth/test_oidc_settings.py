"""PLANTAO_OIDC_* settings: single sign-on is off without an issuer, an issuer needs the client
id and secret, the callback defaults to the base URL, and the secret never shows in a repr or an
error message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from plantao.config import Settings

SECRET = "oidc-client-secret-that-must-not-leak-0123"


def test_sso_is_off_without_an_issuer() -> None:
    """By default there is no provider and the callback still has a well-defined address."""
    settings = Settings(base_url="https://plantao.example.com/")
    assert settings.oidc_issuer is None
    assert settings.oidc_callback_url == "https://plantao.example.com/login/sso/callback"


def test_an_issuer_needs_client_id_and_secret() -> None:
    """An issuer alone stops start-up with a message naming the missing settings."""
    with pytest.raises(ValidationError, match="PLANTAO_OIDC_CLIENT_ID and PLANTAO_OIDC_CLIENT"):
        Settings(oidc_issuer="https://idp.example.com", oidc_client_id="plantao")


def test_the_client_secret_stays_out_of_repr_and_errors() -> None:
    """The secret is in neither the settings' repr nor a validation error about them."""
    settings = Settings(
        oidc_issuer="https://idp.example.com",
        oidc_client_id="plantao",
        oidc_client_secret=SECRET,
        oidc_redirect_uri="https://plantao.example.com/custom/callback",
    )
    assert SECRET not in repr(settings)
    assert settings.oidc_callback_url == "https://plantao.example.com/custom/callback"
    with pytest.raises(ValidationError) as refused:
        Settings(oidc_client_secret=SECRET, session_idle_minutes=0)
    assert SECRET not in str(refused.value)
