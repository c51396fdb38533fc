"""OpenID Connect single sign-on, the relying party's half: discovery, the authorization-code
flow with PKCE, and the id_token checks that decide who signed in.

    begin_login(meta, settings)              -> LoginStart: the URL to send the browser to, and
                                                the state, nonce and PKCE verifier to keep
    finish_login(meta, settings, start, callback_url, http)
                                             -> OidcIdentity, or Unauthenticated

Authlib's OAuth 2 client builds the authorization URL (state, nonce, S256 code challenge),
checks the returned state and redeems the code with the client authentication the provider
advertises (``client_secret_basic``, else ``client_secret_post``). The id_token is verified with
joserfc, Authlib's JOSE library (Authlib 1.9 deprecates its own ``authlib.jose`` for it), against
the provider's published keys: signature with an asymmetric algorithm the provider announced
(never ``none`` nor an HMAC), then ``iss``, ``aud`` (and ``azp`` when there are several
audiences), ``exp``, ``iat`` and the ``nonce`` of this login. The httpx client comes from the
caller, so the web entry point decides timeouts and proxies. Nothing here knows about users or
teams: mapping the claims to access lives in :mod:`plantao.auth.oidc_claims`.

Every failure raises :class:`plantao.errors.Unauthenticated` whose detail names what went wrong
but never the code, a token, the verifier or the client secret.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.common.security import generate_token  # type: ignore[import-untyped]
from authlib.oauth2.auth import ClientAuth  # type: ignore[import-untyped]
from authlib.oauth2.base import OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.client import OAuth2Client  # type: ignore[import-untyped]
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)
from joserfc.jwk import KeySet

from plantao import clock
from plantao.errors import Unauthenticated
from plantao.observability.scrub import register_secret

#: How long discovery documents and key sets are trusted before they are fetched again.
CACHE_TTL = timedelta(minutes=10)
#: Clock skew tolerated on ``exp`` and ``iat``.
LEEWAY_SECONDS = 60
#: Signature algorithms accepted on an id_token: asymmetric only, so neither ``none`` nor an HMAC
#: keyed with a secret the client also knows can pass.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


@dataclass(frozen=True)
class OidcSettings:
    """One provider as the operator configured it. ``issuer`` must equal the discovery
    document's ``issuer`` exactly (no trailing-slash leniency: it is compared with the id_token's
    ``iss``). ``token_auth_method`` None lets discovery choose."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    scopes: str = "openid profile email groups"
    groups_claim: str = "groups"
    handle_claim: str = "preferred_username"
    token_auth_method: str | None = None


@dataclass(frozen=True)
class ProviderMetadata:
    """What discovery said, reduced to what the login needs."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None
    token_auth_methods: tuple[str, ...]
    id_token_algorithms: tuple[str, ...]


@dataclass(frozen=True)
class LoginStart:
    """One login in flight. The caller keeps it (server side, or sealed) between sending the
    browser to ``url`` and receiving the callback: ``state`` ties the callback to this browser,
    ``nonce`` ties the id_token to this login, ``code_verifier`` proves we asked for the code."""

    url: str
    state: str
    nonce: str = field(repr=False)
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class OidcIdentity:
    """Who signed in, as the provider vouched for it in a verified id_token. ``handle`` is the
    raw ``handle_claim`` value (see ``oidc_claims.handle_from`` for a valid Plantão handle)."""

    subject: str
    issuer: str
    email: str | None
    name: str | None
    handle: str | None
    groups: tuple[str, ...]
    email_verified: bool = False


@dataclass
class _Cached:
    value: Any
    expires: datetime


_cache: dict[str, _Cached] = {}
_cache_lock = threading.Lock()


def forget_cached() -> None:
    """Drop every cached discovery document and key set (tests; a provider's key rotation is
    handled without it: an unknown ``kid`` refetches the keys)."""
    with _cache_lock:
        _cache.clear()


def _cached(key: str) -> Any:
    with _cache_lock:
        entry = _cache.get(key)
    if entry is None or entry.expires <= clock.now():
        return None
    return entry.value


def _remember(key: str, value: Any) -> None:
    with _cache_lock:
        _cache[key] = _Cached(value, clock.now() + CACHE_TTL)


def _get_json(http: httpx.Client, url: str, what: str) -> dict[str, Any]:
    try:
        answer = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise Unauthenticated(f"the sign-in provider's {what} could not be fetched") from exc
    if answer.status_code != 200:
        raise Unauthenticated(f"the sign-in provider's {what} answered {answer.status_code}")
    try:
        body = answer.json()
    except ValueError as exc:
        raise Unauthenticated(f"the sign-in provider's {what} is not JSON") from exc
    if not isinstance(body, dict):
        raise Unauthenticated(f"the sign-in provider's {what} is not a JSON object")
    return body


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def discover(settings: OidcSettings, http: httpx.Client) -> ProviderMetadata:
    """The provider's metadata from its discovery document, cached for ``CACHE_TTL``. Refuses a
    document whose ``issuer`` differs from the configured one (a mix-up or a wrong URL)."""
    key = f"discovery:{settings.issuer}"
    known = _cached(key)
    if isinstance(known, ProviderMetadata):
        return known
    url = settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = _get_json(http, url, "discovery document")
    if document.get("issuer") != settings.issuer:
        raise Unauthenticated(
            "the sign-in provider's discovery document names another issuer than the configured one"
        )
    endpoints = {}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = document.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise Unauthenticated(f"the sign-in provider's discovery document has no {name}")
        endpoints[name] = value
    end_session = document.get("end_session_endpoint")
    # Absent lists take the defaults the specifications give them.
    methods = _strings(document.get("token_endpoint_auth_methods_supported")) or (
        "client_secret_basic",
    )
    algorithms = _strings(document.get("id_token_signing_alg_values_supported")) or ("RS256",)
    challenge_methods = _strings(document.get("code_challenge_methods_supported"))
    if challenge_methods and "S256" not in challenge_methods:
        raise Unauthenticated("the sign-in provider does not support PKCE with S256")
    meta = ProviderMetadata(
        issuer=settings.issuer,
        authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"],
        jwks_uri=endpoints["jwks_uri"],
        end_session_endpoint=end_session if isinstance(end_session, str) else None,
        token_auth_methods=methods,
        id_token_algorithms=algorithms,
    )
    _remember(key, meta)
    return meta


class _HttpxClientAuth(httpx.Auth, ClientAuth):  # type: ignore[misc]
    """Authlib's client authentication (secret in the Basic header or in the form body) applied
    as an httpx auth flow, so the caller's plain ``httpx.Client`` can carry the token request."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        url, headers, body = self.prepare(
            request.method, str(request.url), headers, request.content.decode()
        )
        yield httpx.Request(request.method, url, headers=headers, content=body.encode())


class _Client(OAuth2Client):  # type: ignore[misc]
    """Authlib's transport-neutral OAuth 2 client over an ``httpx.Client``."""

    client_auth_class = _HttpxClientAuth


def _auth_method(meta: ProviderMetadata, settings: OidcSettings) -> str:
    if settings.token_auth_method is not None:
        return settings.token_auth_method
    for method in ("client_secret_basic", "client_secret_post"):
        if method in meta.token_auth_methods:
            return method
    raise Unauthenticated(
        "the sign-in provider accepts neither client_secret_basic nor client_secret_post"
    )


def _client(meta: ProviderMetadata, settings: OidcSettings, http: httpx.Client | None) -> Any:
    register_secret(settings.client_secret)
    return _Client(
        http,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        token_endpoint_auth_method=_auth_method(meta, settings),
        scope=settings.scopes,
        redirect_uri=settings.redirect_uri,
        code_challenge_method="S256",
    )


def begin_login(meta: ProviderMetadata, settings: OidcSettings) -> LoginStart:
    """A fresh authorization request: random state and nonce, PKCE verifier with its S256
    challenge in the URL. Nothing is sent: the caller redirects the browser to ``url``."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _ = _client(meta, settings, None).create_authorization_url(
        meta.authorization_endpoint, state=state, code_verifier=verifier, nonce=nonce
    )
    return LoginStart(url=url, state=state, nonce=nonce, code_verifier=verifier)


def _callback_params(callback_url: str) -> dict[str, str]:
    query = parse_qs(urlsplit(callback_url).query, keep_blank_values=True)
    return {key: values[0] for key, values in query.items() if len(values) == 1}


def _check_callback(meta: ProviderMetadata, start: LoginStart, params: Mapping[str, str]) -> None:
    if not secrets.compare_digest(params.get("state", "").encode(), start.state.encode()):
        raise Unauthenticated("the sign-in answer does not belong to this login (state mismatch)")
    # RFC 9207: a provider that names itself must be the one we sent the browser to.
    if "iss" in params and params["iss"] != meta.issuer:
        raise Unauthenticated("the sign-in answer comes from another issuer")
    error = params.get("error")
    if error is not None:
        shown = error if _ERROR_CODE.match(error) else "an error"
        raise Unauthenticated(f"the sign-in provider refused the login ({shown})")
    if not params.get("code"):
        raise Unauthenticated("the sign-in answer carries no authorization code")


def _redeem(
    meta: ProviderMetadata, settings: OidcSettings, start: LoginStart, callback_url: str, http: Any
) -> str:
    client = _client(meta, settings, http)
    try:
        token = client.fetch_token(
            meta.token_endpoint,
            authorization_response=callback_url,
            state=start.state,
            code_verifier=start.code_verifier,
        )
    except OAuth2Error as exc:
        error = exc.error if isinstance(exc.error, str) and _ERROR_CODE.match(exc.error) else None
        raise Unauthenticated(
            f"the sign-in provider refused the authorization code ({error or 'an error'})"
        ) from None
    except httpx.HTTPError:
        raise Unauthenticated(
            "the sign-in provider's token endpoint could not be reached"
        ) from None
    except ValueError:
        raise Unauthenticated("the sign-in provider's token endpoint did not answer JSON") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise Unauthenticated("the sign-in provider issued no id_token")
    return id_token


def _key_set(meta: ProviderMetadata, http: httpx.Client, *, fresh: bool) -> KeySet:
    key = f"jwks:{meta.jwks_uri}"
    known = None if fresh else _cached(key)
    if isinstance(known, KeySet):
        return known
    document = _get_json(http, meta.jwks_uri, "key set")
    try:
        keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise Unauthenticated("the sign-in provider's key set cannot be read") from exc
    _remember(key, keys)
    return keys


def _token_kid(id_token: str) -> str | None:
    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError):
        return None
    kid = header.get("kid")
    return kid if isinstance(kid, str) else None


def _verified_claims(
    meta: ProviderMetadata, settings: OidcSettings, start: LoginStart, id_token: str, http: Any
) -> dict[str, Any]:
    algorithms = sorted(ASYMMETRIC_ALGORITHMS.intersection(meta.id_token_algorithms))
    if not algorithms:
        raise Unauthenticated("the sign-in provider signs id_tokens with no accepted algorithm")
    keys = _key_set(meta, http, fresh=False)
    kid = _token_kid(id_token)
    if kid is not None and all(k.kid != kid for k in keys.keys):
        keys = _key_set(meta, http, fresh=True)  # the provider may have rotated its keys
    try:
        decoded = jwt.decode(id_token, keys, algorithms=algorithms)
    except BadSignatureError:
        raise Unauthenticated("the id_token's signature does not verify") from None
    except InvalidKeyIdError:
        raise Unauthenticated(
            "the id_token is signed with a key the provider does not publish"
        ) from None
    except (JoseError, ValueError):
        raise Unauthenticated(
            "the id_token is malformed or signed with a refused algorithm"
        ) from None
    claims = decoded.claims
    registry = jwt.JWTClaimsRegistry(
        now=lambda: int(clock.now().timestamp()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": meta.issuer},
        sub={"essential": True},
        aud={"essential": True, "value": settings.client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise Unauthenticated("the id_token has expired") from None
    except ClaimError as exc:
        what = {"aud": "was issued for another audience", "iss": "comes from another issuer"}
        raise Unauthenticated(
            f"the id_token {what.get(exc.claim, f'has an invalid {exc.claim} claim')}"
        ) from None
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != settings.client_id:
        raise Unauthenticated("the id_token was issued for another audience")
    nonce = claims["nonce"]
    if not isinstance(nonce, str) or not secrets.compare_digest(
        nonce.encode(), start.nonce.encode()
    ):
        raise Unauthenticated("the id_token belongs to another login (nonce mismatch)")
    return claims


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    return value if isinstance(value, str) and value else None


def _groups(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(dict.fromkeys(_strings(value)))


def finish_login(
    meta: ProviderMetadata,
    settings: OidcSettings,
    start: LoginStart,
    callback_url: str,
    http: httpx.Client,
) -> OidcIdentity:
    """Check the callback against ``start``, redeem the code with the PKCE verifier, verify the
    id_token and return who signed in. Raises Unauthenticated on any failure."""
    _check_callback(meta, start, _callback_params(callback_url))
    id_token = _redeem(meta, settings, start, callback_url, http)
    claims = _verified_claims(meta, settings, start, id_token, http)
    return OidcIdentity(
        subject=claims["sub"],
        issuer=meta.issuer,
        email=_text(claims, "email"),
        name=_text(claims, "name"),
        handle=_text(claims, settings.handle_claim),
        groups=_groups(claims.get(settings.groups_claim)),
        email_verified=claims.get("email_verified") is True,
    )


def logout_url(
    meta: ProviderMetadata, settings: OidcSettings, post_logout_redirect_uri: str
) -> str | None:
    """Where to send the browser to end the provider's session too (RP-initiated logout), or
    None when the provider has no end-session endpoint."""
    if meta.end_session_endpoint is None:
        return None
    query = urlencode(
        {"client_id": settings.client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    )
    separator = "&" if "?" in meta.end_session_endpoint else "?"
    return f"{meta.end_session_endpoint}{separator}{query}"
