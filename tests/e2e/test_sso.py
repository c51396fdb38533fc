"""Single sign-on end to end: a real ``plantao serve`` (SQLite and PostgreSQL) configured for a
real OpenID provider (oidc-provider on Node), driven in a real Chromium through the provider's own
login, consent and logout pages; group → team/role mapping from ``plantao.yaml``, the role lost
when the group is removed at the provider, logout through the provider, and every refusal shown
as the login page with a reason and nothing created."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.e2e.conftest import (
    BACKENDS,
    E2E_CONFIG,
    PlantaoServer,
    free_port,
    start_plantao,
    stop_plantao,
)
from tests.e2e.test_browser import browser, page  # noqa: F401 - fixtures
from tests.e2e.ui_harness import check_page
from tests.factories.oidc import (
    ANY_PASSWORD,
    OidcAccount,
    OidcClient,
    OidcProvider,
    sign_in,
    start_oidc_provider,
)

pytestmark = pytest.mark.e2e

SECRET = "plantao-e2e-sso-client-secret-0123456789"
DORA = OidcAccount(
    id="dora",
    email="dora@example.com",
    name="Dora Reis",
    groups=("payments-oncall", "plantao-admins", "unmapped-group"),
    preferred_username="dora",
)
ANA = OidcAccount(
    id="ana-at-idp",
    email="ana@example.com",
    name="Ana at the IdP",
    groups=("payments-oncall",),
    preferred_username="ana.souza",
)
EVA = OidcAccount(id="eva", email="eva@example.com", name="Eva", preferred_username="eva")
ACCOUNTS = (DORA, ANA, EVA)
SSO_CONFIG = (
    E2E_CONFIG.replace(
        "teams: [{slug: sre, name: SRE, members: [ana]}]",
        "teams: [{slug: sre, name: SRE, members: [ana]}, {slug: payments, name: Payments}]",
    )
    + """
sso:
  group_mappings:
    - {group: payments-oncall, team: payments, role: responder}
    - {group: plantao-admins, role: admin}
"""
)


@dataclass
class SsoWorld:
    server: PlantaoServer
    provider: OidcProvider


def oidc_env(issuer: str) -> dict[str, str]:
    return {
        "PLANTAO_OIDC_ISSUER": issuer,
        "PLANTAO_OIDC_CLIENT_ID": "plantao",
        "PLANTAO_OIDC_CLIENT_SECRET": SECRET,
    }


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoWorld]:
    """The provider knows Plantão's callback (its port is picked first); Plantão is configured
    with the provider's issuer and the group mappings of SSO_CONFIG."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    client = OidcClient(
        client_id="plantao",
        client_secret=SECRET,
        redirect_uris=(f"{base}/login/sso/callback",),
        post_logout_redirect_uris=(f"{base}/login",),
    )
    with start_oidc_provider(ACCOUNTS, [client]) as provider:
        started = start_plantao(
            str(request.param),
            tmp_path_factory.mktemp("plantao-sso"),
            SSO_CONFIG,
            extra_env=oidc_env(provider.issuer),
            port=port,
        )
        try:
            yield SsoWorld(started.server, provider)
        finally:
            stop_plantao(started)


def user(server: PlantaoServer, handle: str) -> dict[str, Any]:
    """The user as the admin API shows them (global role, team roles, SSO link)."""
    with server.client() as api:
        answer = api.get(f"/api/v1/users/{handle}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def handles(server: PlantaoServer) -> set[str]:
    with server.client() as api:
        return {u["handle"] for u in api.get("/api/v1/users").json()}


def team_roles(found: dict[str, Any]) -> dict[str, str]:
    return {t["team"]: t["role"] for t in found["teams"]}


def sign_in_at_provider(tab: Any, world: SsoWorld, login: str) -> None:
    """On the provider's pages: the login form, then the consent form when it is asked for."""
    tab.wait_for_url(re.compile(re.escape(world.provider.issuer) + r"/interaction/"))
    tab.fill("input[name=login]", login)
    tab.fill("input[name=password]", ANY_PASSWORD)
    tab.click("button[type=submit]")
    tab.wait_for_load_state()
    if tab.url.startswith(world.provider.issuer):
        tab.get_by_role("button", name="Continue").click()


def session_cookie(tab: Any) -> str:
    cookies = {str(c["name"]): str(c["value"]) for c in tab.context.cookies()}
    return cookies["plantao_session"]


def opens_home(server: PlantaoServer, cookie: str) -> bool:
    """Whether a browser holding only this cookie gets the incident list (not the login)."""
    answer = httpx.get(f"{server.base_url}/", cookies={"plantao_session": cookie}, timeout=10.0)
    return answer.status_code == 200


def log_out(tab: Any) -> None:
    """Open the person's menu and press Log out."""
    menu = tab.locator("summary.who")
    if menu.count() and menu.is_visible():
        menu.click()
    tab.locator("form[action='/logout'] button").click()


def test_sso_login_maps_groups_and_logout_goes_through_the_provider(
    world: SsoWorld,
    page: Any,  # noqa: F811
) -> None:
    """Log in with SSO as a new person: created just in time, on the incident list under their
    name, admin and payments responder from their groups. Logout ends the session (the old
    cookie opens nothing) and the provider's session. Without the groups at the provider, the
    next login takes the roles away."""
    from playwright.sync_api import expect

    server, provider = world.server, world.provider
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{server.base_url}/login")
    page.get_by_role("link", name="Log in with single sign-on").click()
    sign_in_at_provider(page, world, "dora")
    page.wait_for_url(f"{server.base_url}/")
    expect(page.locator("h1")).to_have_text("Incidents")
    expect(page.locator(".who")).to_contain_text("Dora Reis")
    expect(page.locator(".who")).to_contain_text("dora")

    dora = user(server, "dora")
    assert dora["sso"] is True
    assert dora["email"] == "dora@example.com"
    assert dora["global_role"] == "admin"
    assert team_roles(dora) == {"payments": "responder"}

    cookie = session_cookie(page)
    assert opens_home(server, cookie)
    log_out(page)
    page.wait_for_url(re.compile(re.escape(provider.issuer) + r"/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{server.base_url}/login")
    expect(page.locator("h1")).to_have_text("Log in")
    assert not opens_home(server, cookie)

    provider.set_accounts([replace(DORA, groups=()), ANA, EVA])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{server.base_url}/login?next=/runbooks")
    page.get_by_role("link", name="Log in with single sign-on").click()
    sign_in_at_provider(page, world, "dora")  # the provider asks again: its session ended
    page.wait_for_url(f"{server.base_url}/runbooks")
    dora = user(server, "dora")
    assert dora["global_role"] == "viewer"
    assert team_roles(dora) == {}
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _httpx_login(world: SsoWorld, login: str, agent: httpx.Client) -> httpx.Response:
    """The whole SSO round trip with an httpx client as the browser; Plantão's last answer."""
    start = agent.get(f"{world.server.base_url}/login/sso", params={"next": "/runbooks"})
    assert start.status_code == 303, start.text
    callback = sign_in(start.headers["location"], login, browser=agent)
    return agent.get(callback)


def test_a_local_user_with_the_same_email_is_linked(world: SsoWorld) -> None:
    """Ana from plantao.yaml (ana@example.com) signs in through the provider under another
    username: she is linked, not duplicated, keeps her handle and her sre membership, and gets
    payments from her group."""
    before = handles(world.server)
    with httpx.Client(timeout=10.0) as agent:
        done = _httpx_login(world, "ana-at-idp", agent)
        assert done.status_code == 303
        assert done.headers["location"] == "/runbooks"
        assert agent.get(f"{world.server.base_url}/runbooks").status_code == 200
    assert handles(world.server) == before
    ana = user(world.server, "ana")
    assert ana["sso"] is True
    assert team_roles(ana) == {"payments": "responder", "sre": "responder"}


def test_cancel_at_the_provider_returns_to_the_login_page(
    world: SsoWorld,
    page: Any,  # noqa: F811
) -> None:
    """Cancelling at the provider brings the person back to Plantão's login page with the
    reason, answered 401, and nobody is created."""
    from playwright.sync_api import expect

    before = handles(world.server)
    page.goto(f"{world.server.base_url}/login")
    page.get_by_role("link", name="Log in with single sign-on").click()
    page.wait_for_url(re.compile(re.escape(world.provider.issuer) + r"/interaction/"))
    with page.expect_response(re.compile(r"/login/sso/callback")) as answer:
        page.get_by_text("[ Cancel ]").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text(
        "The single sign-on provider did not allow the login."
    )
    assert handles(world.server) == before


def test_an_answer_without_a_login_in_flight_is_refused(world: SsoWorld, tmp_path: Path) -> None:
    """A callback this browser did not start, or whose state differs from the one it started,
    is refused with 401 and the login page; the code is never redeemed."""
    base = world.server.base_url
    with httpx.Client(timeout=10.0) as agent:
        stray = agent.get(f"{base}/login/sso/callback", params={"code": "c", "state": "s"})
        assert stray.status_code == 401
        assert "not started from this browser" in stray.text
        start = agent.get(f"{base}/login/sso")
        callback = sign_in(start.headers["location"], "eva", browser=agent)
        query = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
        forged = agent.get(
            f"{base}/login/sso/callback?" + urlencode({**query, "state": "someone-else"})
        )
        assert forged.status_code == 401
        assert "not started from this browser" in forged.text
        # The real answer cannot be replayed either: the login in flight was used up.
        assert agent.get(callback).status_code == 401
    assert "eva" not in handles(world.server)


def test_a_disabled_user_is_refused(world: SsoWorld) -> None:
    """A disabled person who signs in at the provider gets 403 and no session."""
    world.server.cli("users", "create", "eric", "--name", "Eric", "--email", "eva@example.com")
    world.server.cli("users", "disable", "eric")
    with httpx.Client(timeout=10.0) as agent:
        done = _httpx_login(world, "eva", agent)
        assert done.status_code == 403
        assert "This account is disabled" in done.text
        assert agent.get(f"{world.server.base_url}/", follow_redirects=False).status_code == 303
    assert user(world.server, "eric")["sso"] is False


@pytest.fixture(scope="module")
def no_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """Plantão configured for a provider that is not running (nothing listens on its port)."""
    issuer = f"http://127.0.0.1:{free_port()}"
    started = start_plantao(
        "sqlite", tmp_path_factory.mktemp("plantao-nosso"), extra_env=oidc_env(issuer)
    )
    try:
        yield started.server
    finally:
        stop_plantao(started)


def test_provider_down_shows_502_and_creates_nothing(no_provider: PlantaoServer) -> None:
    """With the provider unreachable the SSO button answers 502 with the login page, the
    reason and the password form; nobody is created or logged in."""
    before = handles(no_provider)
    with httpx.Client(timeout=10.0) as agent:
        answer = agent.get(f"{no_provider.base_url}/login/sso")
        assert answer.status_code == 502
        assert "could not be reached" in answer.text
        assert 'action="/login"' in answer.text  # password login still offered
    assert handles(no_provider) == before


def test_password_login_turned_off(no_provider: PlantaoServer, page: Any) -> None:  # noqa: F811
    """After `plantao login password off` the login page offers only SSO and POST /login is
    refused even with the right password; `on` brings the form back."""
    from playwright.sync_api import expect

    password = no_provider.create_user("pat", "viewer")
    no_provider.cli("login", "password", "off")
    try:
        page.goto(f"{no_provider.base_url}/login")
        expect(page.locator("#password")).to_have_count(0)
        expect(page.locator("form[action='/login']")).to_have_count(0)
        expect(page.get_by_text("Log in with single sign-on")).to_be_visible()
        with httpx.Client(base_url=no_provider.base_url, timeout=10.0) as agent:
            refused = agent.post(
                "/login", data={"handle": "pat", "password": password, "next": "/"}
            )
            assert refused.status_code == 401
            assert "password login turned off" in refused.text
            assert agent.get("/").status_code == 303  # not logged in
    finally:
        no_provider.cli("login", "password", "on")
    page.goto(f"{no_provider.base_url}/login")
    expect(page.locator("#password")).to_have_count(1)
    accepted = httpx.post(
        f"{no_provider.base_url}/login",
        data={"handle": "pat", "password": password, "next": "/"},
        timeout=10.0,
    )
    assert accepted.status_code == 303


def test_error_page_at_phone_and_desktop_widths(
    no_provider: PlantaoServer,
    page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The refused-login page keeps the SSO button, shows the reason in English and Portuguese,
    fits 390 px and passes axe-core."""
    url = f"{no_provider.base_url}/login/sso/callback?code=c&state=s"
    check_page(
        page,
        url,
        expect_text=["not started from this browser", "Log in with single sign-on"],
        out_dir=tmp_path,
    )
    check_page(
        page,
        url + "&lang=pt-BR",
        expect_text=["não começou neste navegador", "Entrar com login único (SSO)"],
        out_dir=tmp_path,
    )
