"""The test OpenID provider (oidc-provider on Node) is real and behaves as the SSO tests assume:
discovery, PKCE required, the login and consent forms, groups in the id_token, RP logout."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.factories.oidc import (
    OidcAccount,
    OidcClient,
    OidcProvider,
    SignInRefused,
    sign_in,
    sign_out,
    start_oidc_provider,
)

pytestmark = pytest.mark.e2e

REDIRECT = "http://127.0.0.1:9/callback"
AFTER_LOGOUT = "http://127.0.0.1:9/signed-out"
CLIENT = OidcClient(
    client_id="plantao-test",
    client_secret="a-test-secret-that-is-long-enough",
    redirect_uris=(REDIRECT,),
    post_logout_redirect_uris=(AFTER_LOGOUT,),
)
ANA = OidcAccount(
    id="ana",
    email="ana@example.com",
    name="Ana Souza",
    groups=("sre", "plantao-admins"),
    preferred_username="ana.souza",
)


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with start_oidc_provider([ANA], [CLIENT]) as running:
        yield running


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _authorization_url(meta: dict[str, Any], challenge: str | None, nonce: str) -> str:
    params = {
        "client_id": CLIENT.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid profile email groups",
        "state": "state-1",
        "nonce": nonce,
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{meta['authorization_endpoint']}?{urlencode(params)}"


def _payload(jwt: str) -> dict[str, Any]:
    body = jwt.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return decoded


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_discovery_names_the_issuer_endpoints_and_groups(provider: OidcProvider) -> None:
    """The discovery document is served with the loopback issuer, S256 PKCE and the groups scope."""
    meta = httpx.get(provider.discovery_url, timeout=5.0).json()
    assert meta["issuer"] == provider.issuer
    assert meta["authorization_endpoint"].startswith(provider.issuer)
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "profile", "email", "groups"} <= set(meta["scopes_supported"])
    assert "groups" in meta["claims_supported"]
    assert meta["end_session_endpoint"].startswith(provider.issuer)
    keys = httpx.get(meta["jwks_uri"], timeout=5.0).json()["keys"]
    assert [key["alg"] for key in keys] == ["RS256"]


def test_code_flow_with_pkce_yields_an_id_token_with_the_groups(provider: OidcProvider) -> None:
    """Login form, consent form, code for token with the verifier: the id_token carries groups."""
    meta = httpx.get(provider.discovery_url, timeout=5.0).json()
    verifier, challenge = _pkce()
    callback = sign_in(_authorization_url(meta, challenge, nonce="nonce-1"), "ana")
    assert callback.startswith(REDIRECT + "?")
    answer = _query(callback)
    assert answer["state"] == "state-1"
    assert answer["iss"] == provider.issuer
    token = httpx.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(CLIENT.client_id, CLIENT.client_secret),
        timeout=5.0,
    )
    assert token.status_code == 200, token.text
    claims = _payload(token.json()["id_token"])
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == CLIENT.client_id
    assert claims["sub"] == "ana"
    assert claims["nonce"] == "nonce-1"
    assert claims["groups"] == ["sre", "plantao-admins"]
    assert claims["email"] == "ana@example.com"
    assert claims["preferred_username"] == "ana.souza"


def test_the_code_is_refused_without_the_verifier(provider: OidcProvider) -> None:
    """PKCE is enforced: a code redeemed without its code_verifier is refused."""
    meta = httpx.get(provider.discovery_url, timeout=5.0).json()
    _, challenge = _pkce()
    code = _query(sign_in(_authorization_url(meta, challenge, nonce="n"), "ana"))["code"]
    token = httpx.post(
        meta["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(CLIENT.client_id, CLIENT.client_secret),
        timeout=5.0,
    )
    assert token.status_code == 400
    assert token.json()["error"] == "invalid_grant"


def test_an_authorization_request_without_pkce_is_refused(provider: OidcProvider) -> None:
    """The provider answers a request with no code_challenge with an error, not a code."""
    meta = httpx.get(provider.discovery_url, timeout=5.0).json()
    answer = _query(sign_in(_authorization_url(meta, None, nonce="n"), "ana"))
    assert answer["error"] == "invalid_request"
    assert "code" not in answer


def test_an_unknown_account_is_turned_away_at_the_login_form(provider: OidcProvider) -> None:
    """A login id the provider does not know gets the form back with an error, never a code."""
    meta = httpx.get(provider.discovery_url, timeout=5.0).json()
    _, challenge = _pkce()
    with pytest.raises(SignInRefused) as refused:
        sign_in(_authorization_url(meta, challenge, nonce="n"), "mallory")
    assert refused.value.status == 401
    assert "Unknown account" in refused.value.page


def test_rp_initiated_logout_ends_the_provider_session(provider: OidcProvider) -> None:
    """After logout the provider asks for the login again instead of reusing its session."""
    meta = httpx.get(provider.discovery_url, timeout=5.0).json()
    with httpx.Client(timeout=5.0) as browser:
        _, challenge = _pkce()
        first = sign_in(_authorization_url(meta, challenge, nonce="n"), "ana", browser=browser)
        assert "code" in _query(first)
        logout = f"{meta['end_session_endpoint']}?" + urlencode(
            {"client_id": CLIENT.client_id, "post_logout_redirect_uri": AFTER_LOGOUT}
        )
        assert sign_out(logout, browser) == AFTER_LOGOUT
        # Signed out: the same browser must face the login form again, so an unknown id fails.
        with pytest.raises(SignInRefused):
            sign_in(_authorization_url(meta, challenge, nonce="n"), "mallory", browser=browser)
