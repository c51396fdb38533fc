"""A real OpenID provider for tests: panva's ``oidc-provider`` (OpenID Certified) run with Node.

``start_oidc_provider(accounts, clients)`` installs the pinned npm package once (``npm ci`` into
``tests/factories/oidc_provider/node_modules``, repeated only when the lock file changes), starts
``provider.mjs`` on a free loopback port, waits for its discovery document and stops it on the
way out, even when the test fails. Single sign-on is tested against that process, never a mock:
a mock would agree with whatever our client gets wrong about discovery, PKCE or id_token checks.

``sign_in`` plays the person at the provider without a browser: it follows the redirects and
fills in and submits the provider's own HTML login and consent forms (whatever inputs they hold),
and hands back the redirect to the relying party with ``code`` and ``state``. ``sign_out`` does
the same with the RP-initiated logout confirmation. Browser tests drive the same forms with
Playwright.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tests.factories.requirements import require_component

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc_provider"
COMPONENT = "node + oidc-provider"
STARTUP_TIMEOUT = 30.0
INSTALL_TIMEOUT = 300.0
_STAMP = PROVIDER_DIR / "node_modules" / ".plantao-lock-sha256"
_MAX_STEPS = 20
#: The provider's development login form asks for a password and accepts any.
ANY_PASSWORD = "any-password"


@dataclass(frozen=True)
class OidcAccount:
    """A person the provider knows; ``id`` is what they type in the login field and their
    ``sub``. ``preferred_username`` None leaves the claim out (a handle then comes from e-mail)."""

    id: str
    email: str
    name: str
    groups: tuple[str, ...] = ()
    preferred_username: str | None = None

    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "email": self.email,
            "name": self.name,
            "groups": list(self.groups),
        }
        if self.preferred_username is not None:
            claims["preferred_username"] = self.preferred_username
        return claims


@dataclass(frozen=True)
class OidcClient:
    """A relying party registered at the provider (confidential: it has a secret)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...] = ()
    token_endpoint_auth_method: str = "client_secret_basic"

    def metadata(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "post_logout_redirect_uris": list(self.post_logout_redirect_uris),
            "token_endpoint_auth_method": self.token_endpoint_auth_method,
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        }


@dataclass
class OidcProvider:
    """A running provider: its issuer (``http://127.0.0.1:PORT``) and where its output goes."""

    issuer: str
    port: int
    accounts: tuple[OidcAccount, ...]
    clients: tuple[OidcClient, ...]
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    config_path: Path | None = None

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def set_accounts(self, accounts: Sequence[OidcAccount]) -> None:
        """Change what the provider says about people (e.g. their groups) from the next login
        on: provider.mjs reads the accounts from its config file at each use."""
        assert self.config_path is not None
        config = json.loads(self.config_path.read_text(encoding="utf-8"))
        config["accounts"] = {account.id: account.claims() for account in accounts}
        fresh = self.config_path.with_suffix(".new")
        fresh.write_text(json.dumps(config), encoding="utf-8")
        fresh.replace(self.config_path)  # atomic: the provider never reads half a file
        self.accounts = tuple(accounts)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class SignInRefused(Exception):
    """The provider answered a step of the sign-in with an error page instead of a redirect."""

    def __init__(self, status: int, url: str, page: str) -> None:
        super().__init__(f"the provider answered {status} at {url}: {page[:500]}")
        self.status = status
        self.url = url
        self.page = page


def _lock_digest() -> str:
    return hashlib.sha256((PROVIDER_DIR / "package-lock.json").read_bytes()).hexdigest()


def install_provider() -> None:
    """``npm ci`` the pinned provider unless node_modules already matches the lock file; a
    missing node/npm or a failed install skips the test (fails it under PLANTAO_REQUIRE_E2E=1)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    require_component(f"{COMPONENT} (node and npm on PATH)", bool(node and npm))
    assert npm is not None
    with (Path(tempfile.gettempdir()) / "plantao-oidc-provider-install.lock").open("w") as lock:
        # Two test processes starting together must not run npm ci over each other.
        fcntl.flock(lock, fcntl.LOCK_EX)
        digest = _lock_digest()
        if _STAMP.exists() and _STAMP.read_text().strip() == digest:
            return
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PROVIDER_DIR,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            require_component(f"{COMPONENT} (npm ci timed out)", False)
            return
        if done.returncode != 0:
            require_component(f"{COMPONENT} (npm ci failed: {done.stderr.strip()[-500:]})", False)
            return
        _STAMP.write_text(digest + "\n")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_ready(provider: OidcProvider) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if provider.process.poll() is not None:
            raise AssertionError(
                f"oidc-provider exited with {provider.process.returncode}:\n{provider.log_tail()}"
            )
        try:
            answer = httpx.get(provider.discovery_url, timeout=2.0)
            if answer.status_code == 200 and answer.json().get("issuer") == provider.issuer:
                return
            last = f"{answer.status_code} {answer.text[:200]}"
        except (httpx.HTTPError, ValueError) as exc:
            last = repr(exc)
        time.sleep(0.1)
    raise AssertionError(
        f"oidc-provider not ready after {STARTUP_TIMEOUT}s ({last}):\n{provider.log_tail()}"
    )


@contextmanager
def start_oidc_provider(
    accounts: Sequence[OidcAccount], clients: Sequence[OidcClient]
) -> Iterator[OidcProvider]:
    """A provider serving ``accounts`` to ``clients`` until the ``with`` block ends."""
    install_provider()
    node = shutil.which("node")
    assert node is not None
    with tempfile.TemporaryDirectory(prefix="plantao-oidc-") as workdir:
        port = _free_port()
        config = Path(workdir) / "provider.json"
        config.write_text(
            json.dumps(
                {
                    "port": port,
                    "accounts": {account.id: account.claims() for account in accounts},
                    "clients": [client.metadata() for client in clients],
                }
            ),
            encoding="utf-8",
        )
        log_path = Path(workdir) / "provider.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [node, str(PROVIDER_DIR / "provider.mjs"), str(config)],
                cwd=PROVIDER_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            provider = OidcProvider(
                issuer=f"http://127.0.0.1:{port}",
                port=port,
                accounts=tuple(accounts),
                clients=tuple(clients),
                log_path=log_path,
                process=process,
                config_path=config,
            )
            try:
                _wait_ready(provider)
                yield provider
            finally:
                _stop(process)


@dataclass
class _Form:
    id: str | None
    action: str
    method: str
    inputs: list[dict[str, str]] = field(default_factory=list)
    buttons: list[dict[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    """The forms of a page with their inputs and submit buttons, including buttons placed
    outside a form that name it with ``form="id"`` (the provider's logout page does that)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self._open: _Form | None = None
        self._outside: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._open = _Form(
                id=values.get("id"),
                action=values.get("action", ""),
                method=values.get("method", "get").lower(),
            )
            self.forms.append(self._open)
            return
        if tag not in {"input", "button"}:
            return
        kind = values.get("type", "text" if tag == "input" else "submit").lower()
        element = {**values, "type": kind}
        if values.get("form"):
            self._outside.append((values["form"], element))
        elif self._open is not None:
            self._place(self._open, element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None

    def close(self) -> None:
        super().close()
        for form_id, element in self._outside:
            for form in self.forms:
                if form.id == form_id:
                    self._place(form, element)

    @staticmethod
    def _place(form: _Form, element: dict[str, str]) -> None:
        if element["type"] == "submit":
            form.buttons.append(element)
        else:
            form.inputs.append(element)


def _submission(
    page: httpx.Response, fields: Mapping[str, str], press: str | None
) -> tuple[str, dict[str, str]]:
    """Where a browser posts, and what, when the person fills ``fields`` in the page's form and
    presses the button named ``press`` (or the first submit button when None)."""
    parser = _FormParser()
    parser.feed(page.text)
    parser.close()
    forms = [form for form in parser.forms if form.method == "post"]
    if not forms:
        raise SignInRefused(page.status_code, str(page.url), page.text)
    form = forms[0]
    data: dict[str, str] = {}
    for element in form.inputs:
        name = element.get("name")
        if not name:
            continue
        if name in fields:
            data[name] = fields[name]
        elif element["type"] == "hidden" or "value" in element:
            data[name] = element.get("value", "")
        elif "required" in element:
            raise AssertionError(
                f"the provider's form asks for {name!r}, which the test did not fill"
            )
    pressed = [b for b in form.buttons if press is None or b.get("name") == press]
    if pressed and pressed[0].get("name"):
        data[pressed[0]["name"]] = pressed[0].get("value", "")
    return urljoin(str(page.url), form.action or str(page.url)), data


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _walk(
    browser: httpx.Client,
    request: httpx.Request,
    provider_origin: tuple[str, str],
    fields: Mapping[str, str],
    press: str | None,
) -> str:
    """Follow redirects and submit the provider's forms until a redirect leaves the provider."""
    for _ in range(_MAX_STEPS):
        answer = browser.send(request)
        if answer.is_redirect:
            target = urljoin(str(answer.url), answer.headers["location"])
            if _origin(target) != provider_origin:
                return target
            request = browser.build_request("GET", target)
            continue
        if answer.status_code != 200:
            raise SignInRefused(answer.status_code, str(answer.url), answer.text)
        action, data = _submission(answer, fields, press)
        request = browser.build_request("POST", action, data=data)
    raise AssertionError(f"no redirect out of the provider after {_MAX_STEPS} steps")


def sign_in(
    authorization_url: str,
    login: str,
    *,
    password: str = ANY_PASSWORD,
    browser: httpx.Client | None = None,
) -> str:
    """Open ``authorization_url``, sign in as ``login`` on the provider's login form, accept its
    consent form, and return the URL it redirects to (the relying party's callback with ``code``
    and ``state``, or ``error``). Pass ``browser`` to keep the provider's cookies (its session)
    across calls. Raises SignInRefused when the provider answers with an error page."""
    own = browser is None
    client = browser or httpx.Client(timeout=10.0)
    try:
        return _walk(
            client,
            client.build_request("GET", authorization_url),
            _origin(authorization_url),
            {"login": login, "password": password},
            press=None,
        )
    finally:
        if own:
            client.close()


def sign_out(end_session_url: str, browser: httpx.Client) -> str:
    """Open the provider's RP-initiated logout URL in ``browser`` (the one that signed in),
    confirm "Yes, sign me out" and return the post-logout redirect (or raise SignInRefused)."""
    return _walk(
        browser,
        browser.build_request("GET", end_session_url),
        _origin(end_session_url),
        {},
        press="logout",
    )
