"""A real Chromium, driven by Playwright, using the server-rendered web UI of ``plantao serve``."""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.requirements import require_component

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT_MS = 10_000
ADMIN_ACTOR = "boss"  # the handle of the admin the tests log in as; timelines name it
_PASSWORDS: dict[tuple[str, str], str] = {}


def chromium_path() -> str | None:
    candidate = os.environ.get("PLANTAO_CHROMIUM") or shutil.which("chromium") or ""
    return candidate if candidate and Path(candidate).exists() else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless system Chromium (never a downloaded one) driven by Playwright's sync API."""
    executable = chromium_path()
    playwright_installed = importlib.util.find_spec("playwright") is not None
    require_component("chromium", executable is not None and playwright_installed)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) with an English browser locale."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def open_incident(server: PlantaoServer, severity: str = "critical") -> str:
    """Send one Alertmanager webhook through intake; return the human id of its incident."""
    alertname = f"E2EBrowser{uuid.uuid4().hex[:8]}"
    body = am_webhook(
        [am_alert(alertname, summary=f"{alertname}: checkout 5xx above 20%", severity=severity)],
        group_key=f'{{}}:{{alertname="{alertname}"}}',
    )
    answer = httpx.post(server.alertmanager_url, json=body, timeout=10.0)
    assert answer.status_code == 202, answer.text
    headers = {"Authorization": f"Bearer {server.token}"}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # the engine applies accepted alerts within moments
        listing = httpx.get(f"{server.base_url}/api/v1/incidents", headers=headers, timeout=10.0)
        found = [i["human_id"] for i in listing.json()["items"] if alertname in i["title"]]
        if found:
            assert len(found) == 1
            return str(found[0])
        time.sleep(0.05)
    raise AssertionError(f"no incident opened for {alertname}")


def person(server: PlantaoServer, handle: str, role: str) -> str:
    """The password of ``handle`` (created once per server with ``role`` on every team)."""
    key = (server.base_url, handle)
    if key not in _PASSWORDS:
        _PASSWORDS[key] = server.create_user(handle, role)
    return _PASSWORDS[key]


def log_in(
    page: Any, server: PlantaoServer, handle: str = ADMIN_ACTOR, path: str = "/login"
) -> None:
    password = person(server, handle, "admin" if handle == ADMIN_ACTOR else "viewer")
    page.goto(f"{server.base_url}{path}")
    page.fill("#handle", handle)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_responder_acknowledges_and_notes_in_the_browser(
    plantao_sqlite: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Log in, see the list, open an incident, acknowledge it and add an inference note."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    human_id = open_incident(server)
    log_in(page, server)
    assert page.url == f"{server.base_url}/"

    row = page.locator("table.incidents tr", has=page.locator(f"a:text-is('{human_id}')"))
    expect(row).to_have_count(1)
    expect(row.locator(".status")).to_have_text("Triggered")
    expect(row.locator(".sev")).to_contain_text("SEV1")

    row.locator(f"a:text-is('{human_id}')").click()
    page.wait_for_url(f"{server.base_url}/incidents/{human_id}")
    expect(page.locator("#incident-status")).to_have_text("Triggered")

    page.click("section.actions button.action.acknowledge")
    expect(page.locator("#incident-status")).to_have_text("Acknowledged")
    acked = page.locator("ol.timeline li.incident-acknowledged")
    expect(acked).to_have_count(1)
    expect(acked.locator(".actor")).to_have_text(ADMIN_ACTOR)
    expect(acked.locator(".msg")).to_have_text("Acknowledged")
    expect(page.locator("section.actions button.action.acknowledge")).to_have_count(0)

    inference = (
        "I assume the deploy at 14:02 caused it because errors began then; if not, I page DB."
    )
    note_form = page.locator(f"form[action='/incidents/{human_id}/notes']")
    note_form.locator("select[name=kind]").select_option("inference")
    note_form.locator("textarea[name=text]").fill(inference)
    note_form.locator("button[type=submit]").click()
    note = page.locator("ol.timeline li.note", has_text=inference)
    expect(note).to_have_count(1)
    expect(note.locator(".badge")).to_have_text("Inference")
    expect(note.locator(".actor")).to_have_text(ADMIN_ACTOR)

    screenshot = tmp_path / "incident.png"
    page.screenshot(path=str(screenshot), full_page=True)
    data = screenshot.read_bytes()
    assert len(data) > len(PNG_MAGIC)
    assert data.startswith(PNG_MAGIC)

    with server.client() as client:
        stored = client.get(f"/api/v1/incidents/{human_id}").json()
    assert stored["status"] == "acknowledged"
    notes = [e for e in stored["timeline"] if e["kind"] == "note"]
    assert [(n["data"]["kind"], n["message"], n["actor"]) for n in notes] == [
        ("inference", inference, ADMIN_ACTOR)
    ]


def test_viewer_sees_no_action_buttons(plantao_sqlite: PlantaoServer, page: Any) -> None:
    """A viewer token reads incidents but gets no action buttons and no write forms."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    human_id = open_incident(server)
    log_in(page, server, "watcher", path=f"/login?next=/incidents/{human_id}")
    page.wait_for_url(f"{server.base_url}/incidents/{human_id}")
    expect(page.locator("#incident-status")).to_have_text("Triggered")
    expect(page.locator("header .who")).to_contain_text("watcher")
    expect(page.locator("p.hint", has_text="not act on it")).to_have_count(1)
    expect(page.locator("section.actions")).to_have_count(0)
    expect(page.locator("button.action")).to_have_count(0)
    expect(page.locator("form[action$='/notes']")).to_have_count(0)
    expect(page.locator("form[action$='/severity']")).to_have_count(0)


def test_pt_br_texts(plantao_sqlite: PlantaoServer, page: Any) -> None:
    """With ?lang=pt-BR the login page, the list and the incident page are in Portuguese."""
    from playwright.sync_api import expect

    server = plantao_sqlite
    human_id = open_incident(server)
    page.goto(f"{server.base_url}/login?lang=pt-BR")
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("h1")).to_have_text("Entrar")
    expect(page.locator("label[for=password]")).to_have_text("Senha")

    log_in(page, server)
    page.goto(f"{server.base_url}/?lang=pt-BR")
    expect(page.locator("h1")).to_have_text("Incidentes")
    expect(page.locator("table.incidents th", has_text="Severidade")).to_have_count(1)

    page.goto(f"{server.base_url}/incidents/{human_id}")
    expect(page.locator("#incident-status")).to_have_text("Disparado")
    expect(page.locator("h2", has_text="Linha do tempo")).to_have_count(1)
    expect(page.locator("button.action.acknowledge")).to_have_text("Reconhecer")
    expect(page.locator("button", has_text="Sair")).to_have_count(1)
