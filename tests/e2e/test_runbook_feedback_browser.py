"""Responders' feedback in a real Chromium against a real ``plantao serve`` (engine inside): the
runbook card says why each runbook was suggested, and "Not relevant" (with a reason, at phone
width) moves the runbook to the list of runbooks marked not relevant; checked at 1366 and
390 px in both languages (no horizontal scroll, axe-core, visible text)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import browser, person  # noqa: F401 - the fixture
from tests.e2e.ui_harness import check_page, install_axe
from tests.factories.feedback_pack import write_feedback_pack
from tests.factories.payloads import am_alert, am_webhook

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000
WORDS = {
    "en": ("Suggested because:", "Not relevant", "Marked not relevant"),
    "pt-BR": ("Sugerido porque:", "Não relevante", "Marcados como não relevantes"),
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """One Plantão on SQLite whose library has two runbooks for a disk alert."""
    root = tmp_path_factory.mktemp("feedback")
    started = start_plantao(
        "sqlite",
        root / "plantao",
        extra_env={
            "PLANTAO_RUNBOOKS_DIR": str(write_feedback_pack(root / "runbooks")),
            "PLANTAO_RUNBOOKS_WORKDIR": str(root),
            "PLANTAO_RUNBOOKS_RELOAD_SECONDS": "0",
        },
    )
    try:
        yield started.server
    finally:
        stop_plantao(started)


def _incident_with_suggestions(server: PlantaoServer) -> str:
    """Send a disk alert; wait until the engine opened its incident and suggested runbooks."""
    tag = uuid.uuid4().hex[:8]
    body = am_webhook(
        [am_alert("DiskAlmostFull", summary=f"disk almost full on the node {tag}", run=tag)],
        group_key=f'{{}}:{{run="{tag}"}}',
    )
    assert httpx.post(server.alertmanager_url, json=body, timeout=10.0).status_code == 202
    deadline = time.monotonic() + 20
    with server.client() as client:
        while time.monotonic() < deadline:
            items = client.get("/api/v1/incidents").json()["items"]
            found = [i["human_id"] for i in items if tag in i["title"]]
            if found:
                out = client.get(f"/api/v1/incidents/{found[0]}/runbooks").json()
                if len(out["suggested"]) == 2:
                    return str(found[0])
            time.sleep(0.1)
    raise AssertionError(f"no incident with suggested runbooks for {tag}")


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_not_relevant_in_the_browser(
    server: PlantaoServer,
    browser: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    lang: str,
) -> None:
    """The card explains each suggestion; at phone width a responder opens "Not relevant",
    gives a reason and sends it; the runbook leaves the suggestions for the rejected list."""
    from playwright.sync_api import expect

    because, button, rejected = WORDS[lang]
    ref = _incident_with_suggestions(server)
    url = f"{server.base_url}/incidents/{ref}"
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    try:
        page = context.new_page()
        page.goto(f"{server.base_url}/login?next=/incidents/{ref}")
        page.fill("#handle", "rui")
        page.fill("#password", person(server, "rui", "responder"))
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(url)
        check_page(
            page,
            f"{url}?lang={lang}",
            expect_text=[because, button, "Node disk almost full"],
            out_dir=tmp_path,
            ready="[data-live-state=open]",
        )
        card = page.locator("#inc-runbooks")
        assert card.locator(".rb-why").count() == 2
        reject = card.locator("li", has_text="Node disk almost full").locator("details.rb-reject")
        reject.locator("summary").click()
        reject.locator("input[name=reason]").fill("not a node disk")
        reject.locator("button[type=submit]").click()
        page.wait_for_url(url)
        listed = page.locator("#inc-runbooks ul.rb-rejected")
        expect(listed).to_contain_text("Node disk almost full")
        expect(page.locator("#inc-runbooks")).to_contain_text(rejected)
        assert page.locator("#inc-runbooks details.rb-reject").count() == 1
        check_page(
            page,
            f"{url}?lang={lang}",
            expect_text=[rejected, "Volume almost full"],
            out_dir=tmp_path,
            ready="[data-live-state=open]",
        )
    finally:
        context.close()
