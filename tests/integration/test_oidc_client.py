"""The OpenID Connect relying party (plantao.auth.oidc) against a real provider (oidc-provider on
Node): discovery, a full code + PKCE login to an identity with groups, and every way a callback
or an id_token can be wrong is refused with Unauthenticated, naming no code, token or secret.

Forged id_tokens reach the client the way an attacker on the path would deliver them: a
transport between Plantão and the real provider rewrites the token endpoint's answer."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from plantao import clock
from plantao.auth import oidc
from plantao.auth.oidc import LoginStart, OidcSettings, ProviderMetadata
from plantao.auth.oidc_claims import GroupMapping, handle_from, map_groups
from plantao.errors import Unauthenticated
from tests.factories.oidc import (
    OidcAccount,
    OidcClient,
    OidcProvider,
    sign_in,
    sign_out,
    start_oidc_provider,
)

pytestmark = pytest.mark.e2e

CALLBACK = "http://127.0.0.1:8080/auth/oidc/callback"
SIGNED_OUT = "http://127.0.0.1:8080/login"
PLANTAO = OidcClient(
    client_id="plantao",
    client_secret="plantao-client-secret-0123456789",
    redirect_uris=(CALLBACK,),
    post_logout_redirect_uris=(SIGNED_OUT,),
)
PLANTAO_POST = OidcClient(
    client_id="plantao-post",
    client_secret="plantao-post-secret-0123456789",
    redirect_uris=(CALLBACK,),
    token_endpoint_auth_method="client_secret_post",
)
OTHER_APP = OidcClient(
    client_id="other-app",
    client_secret="other-app-secret-0123456789",
    redirect_uris=(CALLBACK,),
)
ANA = OidcAccount(
    id="ana",
    email="ana.souza@example.com",
    name="Ana Souza",
    groups=("sre", "sre-leads", "plantao-admins"),
    preferred_username="Ana.Souza",
)
BRUNO = OidcAccount(
    id="bruno", email="Bruno.Lima@example.com", name="Bruno Lima", groups=("payments",)
)


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with start_oidc_provider([ANA, BRUNO], [PLANTAO, PLANTAO_POST, OTHER_APP]) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    oidc.forget_cached()
    yield
    oidc.forget_cached()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0) as client:
        yield client


def settings_for(provider: OidcProvider, client: OidcClient = PLANTAO) -> OidcSettings:
    return OidcSettings(
        issuer=provider.issuer,
        client_id=client.client_id,
        client_secret=client.client_secret,
        redirect_uri=CALLBACK,
    )


def _refused(
    call: Callable[[], object], *, leaks: tuple[str, ...] = (), match: str = ""
) -> Unauthenticated:
    """Run ``call``, expect Unauthenticated matching ``match``, and check that its detail names
    none of ``leaks`` (codes, tokens, verifier, secret)."""
    with pytest.raises(Unauthenticated, match=match) as refused:
        call()
    detail = str(refused.value)
    for secret in leaks:
        assert secret not in detail
    return refused.value


def _code(callback: str) -> str:
    return parse_qs(urlsplit(callback).query)["code"][0]


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode(query | changes)))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class TamperingTransport(httpx.BaseTransport):
    """The network between Plantão and the provider, with the token endpoint's id_token
    rewritten by ``rewrite`` (what an attacker on the path, or a lying provider, would send)."""

    def __init__(self, token_endpoint: str, rewrite: Callable[[str], str]) -> None:
        self._inner = httpx.HTTPTransport()
        self._token_endpoint = token_endpoint
        self._rewrite = rewrite
        self.rewritten: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answer = self._inner.handle_request(request)
        if str(request.url) != self._token_endpoint:
            return answer
        answer.read()
        answer.close()
        body = json.loads(answer.content)
        self.rewritten.append(body["id_token"])
        body["id_token"] = self._rewrite(body["id_token"])
        return httpx.Response(answer.status_code, json=body)

    def close(self) -> None:
        self._inner.close()


def _login(
    provider: OidcProvider, settings: OidcSettings, login: str = "ana"
) -> tuple[ProviderMetadata, LoginStart, str]:
    with httpx.Client(timeout=10.0) as client:
        meta = oidc.discover(settings, client)
    start = oidc.begin_login(meta, settings)
    return meta, start, sign_in(start.url, login)


def _finish_through(
    meta: ProviderMetadata,
    settings: OidcSettings,
    start: LoginStart,
    callback: str,
    rewrite: Callable[[str], str],
    match: str,
) -> TamperingTransport:
    transport = TamperingTransport(meta.token_endpoint, rewrite)
    with httpx.Client(transport=transport, timeout=10.0) as client:
        _refused(
            lambda: oidc.finish_login(meta, settings, start, callback, client),
            leaks=(_code(callback), settings.client_secret, start.code_verifier),
            match=match,
        )
    assert len(transport.rewritten) == 1
    return transport


def test_discovery_reads_the_endpoints_and_caches_them(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """discover() returns the provider's endpoints and answers the second call from its cache."""
    meta = oidc.discover(settings_for(provider), http)
    assert meta.issuer == provider.issuer
    assert meta.authorization_endpoint == f"{provider.issuer}/auth"
    assert meta.token_endpoint == f"{provider.issuer}/token"
    assert meta.jwks_uri == f"{provider.issuer}/jwks"
    assert meta.end_session_endpoint == f"{provider.issuer}/session/end"
    assert "RS256" in meta.id_token_algorithms
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}, timeout=10.0) as watched:
        assert oidc.discover(settings_for(provider), watched) is meta
    assert sent == []


def test_discovery_refuses_a_document_naming_another_issuer(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """A configured issuer unlike the document's (here by a trailing slash) is refused."""
    settings = replace(settings_for(provider), issuer=provider.issuer + "/")
    _refused(lambda: oidc.discover(settings, http), match="another issuer")


def test_discovery_of_an_unreachable_provider_is_refused(http: httpx.Client) -> None:
    """Nothing listening at the issuer: Unauthenticated, not a connection error."""
    settings = OidcSettings(
        issuer="http://127.0.0.1:9", client_id="x", client_secret="y", redirect_uri=CALLBACK
    )
    _refused(lambda: oidc.discover(settings, http), match="could not be fetched")


def test_the_authorization_url_asks_for_a_code_with_pkce_and_a_nonce(
    provider: OidcProvider,
) -> None:
    """The URL carries the S256 challenge, state, nonce and scopes, never the verifier."""
    settings = settings_for(provider)
    with httpx.Client(timeout=10.0) as client:
        meta = oidc.discover(settings, client)
    start = oidc.begin_login(meta, settings)
    query = {key: values[0] for key, values in parse_qs(urlsplit(start.url).query).items()}
    assert start.url.startswith(meta.authorization_endpoint + "?")
    assert query["response_type"] == "code"
    assert query["client_id"] == "plantao"
    assert query["redirect_uri"] == CALLBACK
    assert query["scope"] == "openid profile email groups"
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == start.state
    assert query["nonce"] == start.nonce
    expected = _b64(hashlib.sha256(start.code_verifier.encode()).digest())
    assert query["code_challenge"] == expected
    assert start.code_verifier not in start.url
    assert start != oidc.begin_login(meta, settings)


def test_a_login_yields_the_identity_with_its_groups(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """Login and consent at the real provider, then finish_login: subject, e-mail, groups."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    identity = oidc.finish_login(meta, settings, start, callback, http)
    assert identity.subject == "ana"
    assert identity.issuer == provider.issuer
    assert identity.email == "ana.souza@example.com"
    assert identity.email_verified is True
    assert identity.name == "Ana Souza"
    assert identity.handle == "Ana.Souza"
    assert identity.groups == ("sre", "sre-leads", "plantao-admins")
    assert handle_from(identity) == "ana.souza"
    mappings = [
        GroupMapping(group="sre", team="sre", role="responder"),
        GroupMapping(group="sre-leads", team="sre", role="manager"),
        GroupMapping(group="plantao-admins", team=None, role="admin"),
    ]
    access = map_groups(identity.groups, mappings)
    assert access.global_role == "admin"
    assert access.team_roles == {"sre": "manager"}


def test_a_client_registered_for_client_secret_post_signs_in(provider: OidcProvider) -> None:
    """token_auth_method client_secret_post sends the secret in the form body, not a header."""
    settings = replace(settings_for(provider, PLANTAO_POST), token_auth_method="client_secret_post")
    meta, start, callback = _login(provider, settings, login="bruno")
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}, timeout=10.0) as client:
        identity = oidc.finish_login(meta, settings, start, callback, client)
    token_request = next(r for r in sent if str(r.url) == meta.token_endpoint)
    form = parse_qs(token_request.content.decode())
    assert "authorization" not in token_request.headers
    assert form["client_secret"] == [PLANTAO_POST.client_secret]
    assert form["code_verifier"] == [start.code_verifier]
    assert identity.subject == "bruno"
    assert identity.handle is None
    assert handle_from(identity) == "bruno.lima"
    assert identity.groups == ("payments",)


def test_the_secret_goes_in_the_basic_header_by_default(provider: OidcProvider) -> None:
    """The provider advertises client_secret_basic: the secret travels in the Basic header."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    sent: list[httpx.Request] = []
    with httpx.Client(event_hooks={"request": [sent.append]}, timeout=10.0) as client:
        oidc.finish_login(meta, settings, start, callback, client)
    token_request = next(r for r in sent if str(r.url) == meta.token_endpoint)
    basic = base64.b64decode(token_request.headers["authorization"].removeprefix("Basic "))
    assert basic.decode() == f"{PLANTAO.client_id}:{PLANTAO.client_secret}"
    assert "client_secret" not in parse_qs(token_request.content.decode())


def test_a_wrong_client_secret_is_refused_without_showing_it(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """The provider turns away a wrong secret; the error names neither secret nor code."""
    settings = replace(settings_for(provider), client_secret="not-the-registered-secret-42")
    meta, start, callback = _login(provider, settings)
    _refused(
        lambda: oidc.finish_login(meta, settings, start, callback, http),
        leaks=(_code(callback), settings.client_secret, PLANTAO.client_secret, start.code_verifier),
        match=r"refused the authorization code \(invalid_client\)",
    )


def test_a_callback_with_another_state_is_refused_before_the_code_is_used(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """Wrong state: refused without redeeming the code, which still works with the right one."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    forged = _with_query(callback, state="someone-elses-state")
    _refused(
        lambda: oidc.finish_login(meta, settings, start, forged, http),
        leaks=(_code(callback),),
        match="state mismatch",
    )
    assert oidc.finish_login(meta, settings, start, callback, http).subject == "ana"


def test_a_code_is_redeemed_once(provider: OidcProvider, http: httpx.Client) -> None:
    """Replaying a callback whose code was already used is refused by the provider."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    oidc.finish_login(meta, settings, start, callback, http)
    _refused(
        lambda: oidc.finish_login(meta, settings, start, callback, http),
        leaks=(_code(callback), settings.client_secret),
        match=r"refused the authorization code \(invalid_grant\)",
    )


def test_a_callback_from_another_issuer_or_with_an_error_is_refused(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """An iss parameter naming another provider, or an error answer, ends the login."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    mixed_up = _with_query(callback, iss="http://127.0.0.1:1")
    _refused(lambda: oidc.finish_login(meta, settings, start, mixed_up, http), match="issuer")
    denied = f"{CALLBACK}?error=access_denied&state={start.state}"
    _refused(
        lambda: oidc.finish_login(meta, settings, start, denied, http),
        match=r"refused the login \(access_denied\)",
    )


def test_an_id_token_with_an_altered_payload_is_refused(provider: OidcProvider) -> None:
    """Groups added to a genuine id_token break its signature: refused."""

    def add_admin_group(id_token: str) -> str:
        header, payload, signature = id_token.split(".")
        claims = json.loads(_unb64(payload))
        claims["groups"] = [*claims["groups"], "plantao-admins"]
        return ".".join([header, _b64(json.dumps(claims).encode()), signature])

    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings, login="bruno")
    _finish_through(meta, settings, start, callback, add_admin_group, match="signature")


def test_an_id_token_signed_with_another_key_is_refused(provider: OidcProvider) -> None:
    """The same claims re-signed with an attacker's key under the provider's kid: refused."""
    attacker = RSAKey.generate_key(2048)

    def resign(id_token: str) -> str:
        header, payload, _ = id_token.split(".")
        claims = json.loads(_unb64(payload))
        kid = json.loads(_unb64(header))["kid"]
        return jwt.encode({"alg": "RS256", "kid": kid}, claims, attacker)

    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    _finish_through(meta, settings, start, callback, resign, match="signature")


def test_an_id_token_signed_with_an_unpublished_key_is_refused(provider: OidcProvider) -> None:
    """An unknown kid makes the client fetch the key set once more (a rotation), then refuse."""
    attacker = RSAKey.generate_key(2048)

    def resign_as_new_key(id_token: str) -> str:
        claims = json.loads(_unb64(id_token.split(".")[1]))
        return jwt.encode({"alg": "RS256", "kid": "rotated-2"}, claims, attacker)

    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    sent: list[httpx.Request] = []
    transport = TamperingTransport(meta.token_endpoint, resign_as_new_key)
    hooks = {"request": [sent.append]}
    with httpx.Client(transport=transport, event_hooks=hooks, timeout=10.0) as client:
        _refused(
            lambda: oidc.finish_login(meta, settings, start, callback, client),
            leaks=(_code(callback), settings.client_secret),
            match="a key the provider does not publish",
        )
    assert [str(r.url) for r in sent].count(meta.jwks_uri) == 2


def test_an_unsigned_id_token_is_refused(provider: OidcProvider) -> None:
    """alg none is never accepted, whatever the claims say."""

    def strip_signature(id_token: str) -> str:
        header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        return f"{header}.{id_token.split('.')[1]}."

    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    _finish_through(meta, settings, start, callback, strip_signature, match="refused algorithm")


def test_an_id_token_for_another_audience_is_refused(provider: OidcProvider) -> None:
    """A genuine id_token the provider issued to another client (same nonce) is refused."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    other = settings_for(provider, OTHER_APP)
    other_start = oidc.begin_login(meta, other)
    other_callback = sign_in(_with_query(other_start.url, nonce=start.nonce), "ana")
    issued = httpx.post(
        meta.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": _code(other_callback),
            "redirect_uri": CALLBACK,
            "code_verifier": other_start.code_verifier,
        },
        auth=(OTHER_APP.client_id, OTHER_APP.client_secret),
        timeout=10.0,
    )
    other_id_token = issued.json()["id_token"]
    claims = json.loads(_unb64(other_id_token.split(".")[1]))
    assert (claims["aud"], claims["nonce"]) == ("other-app", start.nonce)
    transport = TamperingTransport(meta.token_endpoint, lambda _: other_id_token)
    with httpx.Client(transport=transport, timeout=10.0) as client:
        _refused(
            lambda: oidc.finish_login(meta, settings, start, callback, client),
            leaks=(other_id_token, _code(callback), settings.client_secret),
            match="another audience",
        )


def test_an_id_token_of_another_login_is_refused(
    provider: OidcProvider, http: httpx.Client
) -> None:
    """The nonce kept for this login must be the one in the id_token."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    _refused(
        lambda: oidc.finish_login(
            meta, settings, replace(start, nonce="another-login"), callback, http
        ),
        match="nonce mismatch",
    )


def test_an_expired_id_token_is_refused(provider: OidcProvider, http: httpx.Client) -> None:
    """Checked against clock.now(): an hour later the id_token has expired."""
    settings = settings_for(provider)
    meta, start, callback = _login(provider, settings)
    with clock.frozen_at(clock.now() + timedelta(hours=1)):
        _refused(lambda: oidc.finish_login(meta, settings, start, callback, http), match="expired")


def test_logout_url_ends_the_provider_session(provider: OidcProvider, http: httpx.Client) -> None:
    """logout_url() leads to the provider's sign-out, which returns to the given page."""
    settings = settings_for(provider)
    meta = oidc.discover(settings, http)
    with httpx.Client(timeout=10.0) as browser:
        start = oidc.begin_login(meta, settings)
        oidc.finish_login(meta, settings, start, sign_in(start.url, "ana", browser=browser), http)
        url = oidc.logout_url(meta, settings, SIGNED_OUT)
        assert url is not None
        assert sign_out(url, browser) == SIGNED_OUT
