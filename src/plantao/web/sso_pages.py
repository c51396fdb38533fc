"""Single sign-on in the browser: off to the provider, back with a code, in with a session.

    GET /login/sso?next=/incidents/42   discover the provider, keep the login's state, nonce and
                                        PKCE verifier in the signed session cookie (it comes back
                                        with the provider's redirect: SameSite=Lax allows a
                                        top-level GET), send the browser to the provider
    GET /login/sso/callback             check and redeem the answer (``plantao.auth.oidc``), find,
                                        link or create the user and sync their roles
                                        (``plantao.auth.sso_users``), start the session, go to next
    GET /logout/sso                     after POST /logout of an SSO session: a page that sends
                                        the browser on to the provider's end-session endpoint

The login in flight is single use (popped on the callback) and expires after ``START_TTL``.
Every failure shows the login page with a translated reason, 401 (or 502 when the provider could
not be reached, 403 for a disabled account) and writes nothing: the user, the roles and the
session are committed together only once everything passed. Log lines name what went wrong,
never the code, a token or the client secret (``oidc`` keeps them out of its errors).

The provider's logout goes through a page rather than a redirect: the logout button is a form,
and browsers apply the pages' ``form-action 'self'`` policy to every redirect after a form post,
so a redirect to another origin would be blocked.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plantao import clock
from plantao.api.deps import SESSION_KEY, SessionDep
from plantao.auth import oidc, sso_settings, sso_users
from plantao.auth.oidc import LoginStart, OidcSettings
from plantao.config import Settings
from plantao.errors import Conflict, Unauthenticated
from plantao.web import login_pages, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)
log = structlog.get_logger("plantao.sso")

START_KEY = "sso_start"
START_TTL = 600  # seconds a person may spend at the provider before the login is stale
HTTP_TIMEOUT = 10.0
# Failures of the provider itself (down, slow, answering garbage): 502, not the person's fault.
_UNREACHABLE = ("could not be fetched", "could not be reached", "not JSON", "answered")
_EXPIRED = ("state mismatch",)
_DENIED = ("refused the login",)


def oidc_settings(settings: Settings) -> OidcSettings | None:
    """The provider as configured, or None when single sign-on is not set up."""
    if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
        return None
    return OidcSettings(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        redirect_uri=settings.oidc_callback_url,
        scopes=settings.oidc_scopes,
        groups_claim=settings.oidc_groups_claim,
        handle_claim=settings.oidc_handle_claim,
    )


def _http() -> httpx.Client:
    return httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False)


def _refused(
    request: Request, session: SessionDep, key: str, status_code: int, next: str = "/"
) -> HTMLResponse:
    message = TEXTS[rendering.lang(request)][key]
    return login_pages.login_form(request, session, next, status_code=status_code, error=message)


def _reason(exc: Unauthenticated) -> tuple[str, int]:
    """The message key and status for a failed login, from oidc's error (English, for logs)."""
    detail = exc.detail
    if any(part in detail for part in _UNREACHABLE):
        return "sso_err_unreachable", 502
    if any(part in detail for part in _EXPIRED):
        return "sso_err_expired", 401
    if any(part in detail for part in _DENIED):
        return "sso_err_denied", 401
    return "sso_err_invalid", 401


@router.get("/login/sso", response_model=None)
def sso_begin(request: Request, session: SessionDep, next: str = "/") -> Response:
    config = oidc_settings(request.app.state.settings)
    target = login_pages.safe_next(next)
    if config is None:
        return _refused(request, session, "sso_err_not_configured", 404, target)
    try:
        with _http() as http:
            meta = oidc.discover(config, http)
    except Unauthenticated as exc:
        log.warning("sso_discovery_failed", reason=exc.detail)
        return _refused(request, session, "sso_err_unreachable", 502, target)
    start = oidc.begin_login(meta, config)
    request.session[START_KEY] = {
        "state": start.state,
        "nonce": start.nonce,
        "verifier": start.code_verifier,
        "next": target,
        "at": int(clock.now().timestamp()),
    }
    return RedirectResponse(start.url, status_code=303)


def _pending(value: Any) -> tuple[LoginStart, str] | None:
    """The login this browser started, unless it is missing, malformed or stale."""
    if not isinstance(value, dict):
        return None
    fields = [value.get(name) for name in ("state", "nonce", "verifier", "next")]
    texts = [field for field in fields if isinstance(field, str) and field]
    started = value.get("at")
    if len(texts) != len(fields):
        return None
    if not isinstance(started, int) or not 0 <= clock.now().timestamp() - started <= START_TTL:
        return None
    state, nonce, verifier, target = texts
    return LoginStart(url="", state=state, nonce=nonce, code_verifier=verifier), target


@router.get("/login/sso/callback", response_model=None)
def sso_callback(request: Request, session: SessionDep) -> Response:
    config = oidc_settings(request.app.state.settings)
    if config is None:
        return _refused(request, session, "sso_err_not_configured", 404)
    pending = _pending(request.session.pop(START_KEY, None))
    if pending is None:
        log.info("sso_login_refused", reason="no login in flight for this browser")
        return _refused(request, session, "sso_err_expired", 401)
    start, target = pending
    query = request.url.query
    callback_url = config.redirect_uri + (f"?{query}" if query else "")
    try:
        with _http() as http:
            meta = oidc.discover(config, http)
            identity = oidc.finish_login(meta, config, start, callback_url, http)
    except Unauthenticated as exc:
        key, status_code = _reason(exc)
        log.warning("sso_login_refused", reason=exc.detail)
        return _refused(request, session, key, status_code, target)
    source = request.client.host if request.client else None
    try:
        signed = sso_users.sign_in(
            session, identity, sso_settings.load_mappings(session), source=source
        )
    except Unauthenticated:
        session.rollback()
        log.info("sso_login_refused", reason="disabled account", subject=identity.subject)
        return _refused(request, session, "sso_err_disabled", 403, target)
    except Conflict as exc:
        session.rollback()
        log.warning("sso_login_refused", reason=exc.detail, subject=identity.subject)
        return _refused(request, session, "sso_err_ambiguous", 409, target)
    user_id, handle = signed.user.id, signed.user.handle
    login_pages.start_session(request, session, user_id, "sso")  # commits user, roles, session
    request.session[login_pages.SSO_MARK] = True
    log.info("sso_login", user=handle, outcome=signed.outcome)
    return RedirectResponse(target, status_code=303)


@router.get("/logout/sso", response_model=None)
def sso_signed_out(request: Request, session: SessionDep) -> Response:
    """The page POST /logout sends an SSO session to: it forwards the browser to the
    provider's logout (which comes back to /login) or, when there is none, to /login."""
    config = oidc_settings(request.app.state.settings)
    if isinstance(request.session.get(SESSION_KEY), str):
        return RedirectResponse("/", status_code=303)  # still logged in here: nothing to end
    if config is None:
        return RedirectResponse("/login", status_code=303)
    try:
        with _http() as http:
            meta = oidc.discover(config, http)
    except Unauthenticated as exc:
        log.warning("sso_discovery_failed", reason=exc.detail)
        return RedirectResponse("/login", status_code=303)
    back = request.app.state.settings.base_url.rstrip("/") + "/login"
    provider_logout = oidc.logout_url(meta, config, back)
    if provider_logout is None:
        return RedirectResponse("/login", status_code=303)
    return rendering.render(request, "sso_signed_out.html", None, provider_logout=provider_logout)
