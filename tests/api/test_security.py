"""Hardening: no forgeable sessions or links, no script from alert URLs, bearer-only API,
sessions that end at logout, bodies bounded before authentication."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta

import itsdangerous
import pytest
from sqlalchemy import select

from plantao import clock
from plantao.auth import keyring
from plantao.auth.models import SigningKey
from plantao.config import Settings, weak_secret_reason
from plantao.db import session_scope
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.incidents.models import Incident
from plantao.notify import link_tokens
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook

# The development default of earlier releases, which anyone could read in the source.
OLD_PUBLIC_SECRET = "dev-only-insecure-secret-change-me"


def _cookie(secret: str, data: Mapping[str, object]) -> str:
    """A session cookie the way Starlette's SessionMiddleware writes one."""
    payload = base64.b64encode(json.dumps(data).encode())
    return itsdangerous.TimestampSigner(secret).sign(payload).decode()


def _signing_key(api: Api) -> str:
    with session_scope(api.factory) as session:
        return keyring.current(session, Settings(env="test")).signing


def test_installations_generate_their_own_signing_keys(api: Api) -> None:
    """Without PLANTAO_SECRET_KEY the key is random, stored once, and not the old default."""
    key = _signing_key(api)
    assert len(key) >= 48 and key != OLD_PUBLIC_SECRET
    with session_scope(api.factory) as session:
        assert session.scalars(select(SigningKey.secret)).all() == [key]


@pytest.mark.parametrize(
    "value",
    [OLD_PUBLIC_SECRET, "changeme", "short-but-random-Zq81", "ab" * 40],
)
def test_weak_or_known_configured_keys_are_refused(value: str) -> None:
    """A known, short or low-variety PLANTAO_SECRET_KEY stops start-up, in every environment."""
    assert weak_secret_reason(value) is not None
    for env in ("dev", "production"):
        with pytest.raises(ValueError, match="PLANTAO_SECRET_KEY is refused") as info:
            Settings(env=env, secret_key=value)
        assert value not in str(info.value)


def test_session_cookie_forged_with_the_old_default_secret_reads_nothing(api: Api) -> None:
    """A cookie signed with the public constant gets the login page and a 401, not data."""
    for data in ({"token_id": 1}, {"sid": "anything"}):
        api.client.cookies.set("plantao_session", _cookie(OLD_PUBLIC_SECRET, data))
        res = api.client.get("/", follow_redirects=False)
        assert res.status_code == 303 and res.headers["location"].startswith("/login")
        assert api.client.get("/api/v1/integrations").status_code == 401
        assert (
            api.client.post("/api/v1/tokens", json={"name": "x", "role": "admin"}).status_code
            == 401
        )


def test_cookie_signed_with_the_real_key_needs_a_live_session(api: Api) -> None:
    """Even with the installation's key, a cookie whose session id was never issued is refused."""
    api.client.cookies.set("plantao_session", _cookie(_signing_key(api), {"sid": "forged-sid"}))
    res = api.client.get("/", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_action_link_forged_with_the_old_default_secret_is_refused(api: Api) -> None:
    """A resolve link signed with the public constant changes nothing."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    with session_scope(api.factory) as session:
        incident = session.scalars(select(Incident).where(Incident.human_id == ref)).one()
        incident_id = incident.id
    forged = link_tokens.sign_action(
        OLD_PUBLIC_SECRET,
        incident_id=str(incident_id),
        action="resolve",
        subject="1",
        expires_at=clock.now() + timedelta(hours=1),
    )
    assert api.client.post(f"/a/{forged}", data={"action": "resolve"}).status_code == 400
    with session_scope(api.factory) as session:
        assert session.get(Incident, incident_id).status == "triggered"  # type: ignore[union-attr]


def test_rotation_keeps_old_links_valid_for_the_grace_period_only(
    api: Api, frozen: datetime
) -> None:
    """After a rotation the retired key verifies during the grace period, then stops."""
    old = _signing_key(api)
    token = link_tokens.sign_action(
        old, incident_id="1", action="ack", subject="1", expires_at=frozen + timedelta(days=3)
    )
    with session_scope(api.factory) as session:
        keyring.rotate(session, grace=timedelta(hours=1))
    with session_scope(api.factory) as session:
        ring = keyring.current(session, Settings(env="test"))
    assert ring.signing != old and ring.verifying == (ring.signing, old)
    assert link_tokens.verify_action(token, ring.verifying, clock.now()).subject == "1"
    clock.advance(timedelta(hours=2))
    keyring.forget_cached()
    with session_scope(api.factory) as session:
        ring = keyring.current(session, Settings(env="test"))
    assert ring.verifying == (ring.signing,)
    with pytest.raises(link_tokens.TamperedLinkError):
        link_tokens.verify_action(token, ring.verifying, clock.now())


def test_javascript_runbook_url_is_never_a_link(api: Api) -> None:
    """A javascript: runbook_url shows as text on the page and is no runbook URL in the API."""
    alert = am_alert(alertname="XssProbe")
    alert["annotations"]["runbook_url"] = "javascript:alert(3)"
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([alert]))
    EngineLoop(api.factory, registry(Settings(env="test"))).run_once()  # runbook linking
    api.login("viewer")
    page = api.client.get(f"/incidents/{ref}")
    assert page.status_code == 200
    assert 'href="javascript' not in page.text.lower()
    assert "javascript:alert(3)" in page.text  # visible, as text
    runbooks = api.client.get(
        f"/api/v1/incidents/{ref}/runbooks", headers=api.headers("viewer")
    ).json()
    urls = [r["url"] for r in runbooks["linked"] + runbooks["suggested"]]
    assert all(not u.lower().startswith("javascript") for u in urls)


def test_html_pages_carry_a_strict_csp_and_json_is_nosniff(api: Api) -> None:
    """Every HTML response forbids inline script and framing; every response is nosniff."""
    login = api.client.get("/login")
    csp = login.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert login.headers["x-content-type-options"] == "nosniff"
    assert login.headers["referrer-policy"] == "no-referrer"
    health = api.client.get("/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"
    docs = api.client.get("/docs")
    assert "sha256-" in docs.headers["content-security-policy"]
    assert "'unsafe-inline'" not in docs.headers["content-security-policy"]


def test_api_refuses_the_web_session_cookie(api: Api) -> None:
    """A logged-in browser's cookie with a cross-site form POST cannot act through the API."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    res = api.client.post(
        f"/api/v1/incidents/{ref}/acknowledge",
        data={"note": "from evil.example"},
        headers={"Origin": "https://evil.example"},
    )
    assert res.status_code == 401
    assert api.client.get(f"/api/v1/incidents/{ref}").status_code == 401
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["status"] == "triggered"


def test_logout_ends_the_session_for_every_copy_of_the_cookie(api: Api) -> None:
    """A cookie captured before logout no longer opens pages after it."""
    api.login("responder")
    captured = api.client.cookies.get("plantao_session")
    assert captured
    page = api.client.get("/")
    assert page.status_code == 200
    api.client.post("/logout", data={"csrf": api.csrf(page.text)}, follow_redirects=False)
    api.client.cookies.set("plantao_session", captured)
    res = api.client.get("/", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_idle_and_revoked_sessions_end(api: Api, frozen: datetime) -> None:
    """A session idle past its limit ends; disabling the user ends their sessions at once."""
    api.login("viewer")
    assert api.client.get("/", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=Settings(env="test").session_idle_minutes + 1))
    assert api.client.get("/", follow_redirects=False).status_code == 303
    clock.advance(timedelta(minutes=1))
    api.login("viewer")
    assert api.client.get("/", follow_redirects=False).status_code == 200
    disabled = api.client.patch(
        "/api/v1/users/viewer-u", json={"disabled": True}, headers=api.headers("admin")
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert api.client.get("/", follow_redirects=False).status_code == 303


def test_oversized_bodies_are_refused_before_reading(api: Api) -> None:
    """A declared body over the limit is 413 with or without a token; no token is 401 first
    for a chunked body, so the body is never read."""
    big = {"Content-Length": str(50 * 1024 * 1024), "Content-Type": "application/json"}
    res = api.client.post("/api/v1/tokens", headers=big, content=b"{}")
    assert res.status_code == 413
    assert res.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        yield b"x" * (2 * 1024 * 1024)
        yield b'", "role": "viewer"}'

    anonymous = api.client.post("/api/v1/tokens", content=chunks())
    assert anonymous.status_code == 401
    admin = api.client.post(
        "/api/v1/tokens",
        content=chunks(),
        headers={**api.headers("admin"), "Content-Type": "application/json"},
    )
    assert admin.status_code == 413
    everyone = api.client.get("/api/v1/tokens?all=true", headers=api.headers("admin")).json()
    assert len(everyone) == 3


def test_pagerduty_routes_refuse_oversized_bodies_in_pagerduty_shape(api: Api) -> None:
    """A declared body over the intake limit on /v2/enqueue is 413 in PagerDuty's error body."""
    res = api.client.post(
        "/v2/enqueue",
        content=b"{}",
        headers={"Content-Length": str(10 * 1024 * 1024), "Content-Type": "application/json"},
    )
    assert res.status_code == 413
    assert res.json()["status"] == "invalid event" and res.json()["errors"]
