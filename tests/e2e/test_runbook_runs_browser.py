"""Runbook step runs in a real Chromium against a real ``plantao serve`` (engine inside): a
responder requests a read step and sees its output arrive, types the exact command of a
destructive step (a wrong one is refused on a page that keeps it), and a second responder
approves it from the run page; checked at 1366 and 390 px (no horizontal scroll, axe-core,
visible text)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PlantaoServer, start_plantao, stop_plantao
from tests.e2e.test_browser import browser, log_in, person  # noqa: F401 - the fixture
from tests.e2e.ui_harness import check_page as harness_check_page
from tests.e2e.ui_harness import install_axe
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.runbooks import write_pack

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000  # also for what waits on the engine and the live stream


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlantaoServer]:
    """One Plantão on SQLite whose runbook library has read, mutate and destructive steps."""
    root = tmp_path_factory.mktemp("runs")
    pack = write_pack(root / "runbooks")
    started = start_plantao(
        "sqlite",
        root / "plantao",
        extra_env={
            "PLANTAO_RUNBOOKS_DIR": str(pack),
            "PLANTAO_RUNBOOKS_WORKDIR": str(root),
            "PLANTAO_RUNBOOKS_RELOAD_SECONDS": "0",
        },
    )
    try:
        yield started.server
    finally:
        stop_plantao(started)


def check_page(
    page: Any, url: str, *, expect_text: tuple[str, ...] | list[str], out_dir: Path
) -> None:
    """``ui_harness.check_page`` once the page's live stream is open (it never goes idle)."""
    harness_check_page(
        page, url, expect_text=expect_text, out_dir=out_dir, ready="[data-live-state=open]"
    )


def _context(browser: Any) -> Any:  # noqa: F811 - browser is the imported fixture
    """A fresh browser context; axe-core is added to every page it opens before the page's own
    scripts (so the harness never reloads a live page to add it)."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(path=str(install_axe()))
    return context


def _incident_with_runbook(server: PlantaoServer) -> str:
    """Send a CheckoutErrors alert; wait until the engine opened its incident and linked the
    checkout-errors runbook to it."""
    tag = uuid.uuid4().hex[:8]
    body = am_webhook(
        [am_alert("CheckoutErrors", summary=f"checkout 5xx {tag}", run=tag)],
        group_key=f'{{}}:{{run="{tag}"}}',
    )
    assert httpx.post(server.alertmanager_url, json=body, timeout=10.0).status_code == 202
    deadline = time.monotonic() + 20
    with server.client() as client:
        while time.monotonic() < deadline:
            items = client.get("/api/v1/incidents").json()["items"]
            found = [i["human_id"] for i in items if tag in i["title"]]
            if found:
                links = client.get(f"/api/v1/incidents/{found[0]}/runbooks").json()["linked"]
                if any(link["runbook_id"] == "checkout-errors" for link in links):
                    return str(found[0])
            time.sleep(0.1)
    raise AssertionError(f"no incident with a linked runbook for {tag}")


def _log_in_as(page: Any, server: PlantaoServer, handle: str, path: str) -> None:
    page.goto(f"{server.base_url}/login?next={path}")
    page.fill("#handle", handle)
    page.fill("#password", person(server, handle, "responder"))
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server.base_url}{path}")


def test_request_and_approve_step_runs_in_the_browser(
    server: PlantaoServer,
    browser: Any,  # noqa: F811 - the imported fixture
    tmp_path: Path,
) -> None:
    """Read step: output shown; destructive step: wrong typed command refused with the text
    kept, right one waits; the requester has no approve button; a second responder approves;
    the requester's page shows the approval and the output without a reload."""
    from playwright.sync_api import expect

    ref = _incident_with_runbook(server)
    runs = f"{server.base_url}/incidents/{ref}/runs"
    requester, approver = _context(browser), _context(browser)
    try:
        rita = requester.new_page()
        _log_in_as(rita, server, "rita", f"/incidents/{ref}/runs")
        check_page(
            rita,
            runs,
            expect_text=["Runbook steps", "Checkout returns errors", "Destructive", "wipe"],
            out_dir=tmp_path,
        )
        # Phone width from here on (check_page ends at 390 px): the forms must work there.
        show = rita.locator("#step-checkout-errors-show")
        show.locator("input[name=param_deployment]").fill("web")
        show.locator("button[type=submit]").click()
        rita.wait_for_url(f"{runs}/*")
        expect(rita.locator(".rr-status").first).to_have_text("Succeeded", timeout=TIMEOUT_MS)
        expect(rita.locator("pre.rr-output")).to_have_text("deployment web\n", timeout=TIMEOUT_MS)

        rita.goto(runs)
        wipe = rita.locator("#step-checkout-errors-wipe")
        command = wipe.locator("pre.rr-command").inner_text()
        assert "wiped" in command
        wipe.locator("input[name=param_deployment]").fill("web")
        wipe.locator("textarea[name=confirm_command]").fill("printf 'wiped everything'")
        wipe.locator("button[type=submit]").click()
        refused = rita.locator("#step-checkout-errors-wipe .banner.error")
        expect(refused).to_contain_text("is not the exact command shown")
        typed = rita.locator("#step-checkout-errors-wipe textarea[name=confirm_command]")
        expect(typed).to_have_value("printf 'wiped everything'")
        expect(
            rita.locator("#step-checkout-errors-wipe input[name=param_deployment]")
        ).to_have_value("web")
        typed.fill(command)
        rita.locator("#step-checkout-errors-wipe button[type=submit]").click()
        rita.wait_for_url(f"{runs}/*")
        run_url = rita.url
        expect(rita.locator(".rr-status").first).to_have_text("Waiting for approval")
        expect(rita.locator(".rr-needs-other")).to_be_visible()
        expect(rita.locator("form.rr-approve")).to_have_count(0)

        remo = approver.new_page()
        _log_in_as(remo, server, "remo", run_url.removeprefix(server.base_url))
        check_page(
            remo,
            run_url,
            expect_text=["Waiting for approval", "Approve and run", "rita"],
            out_dir=tmp_path,
        )
        remo.locator("form.rr-approve button[type=submit]").click()
        expect(remo.locator(".rr-approver")).to_have_text("remo", timeout=TIMEOUT_MS)
        expect(remo.locator(".rr-status").first).to_have_text("Succeeded", timeout=TIMEOUT_MS)
        expect(remo.locator("pre.rr-output")).to_have_text("wiped web\n", timeout=TIMEOUT_MS)

        # Rita's tab was not reloaded: the live stream brought the approval and the outcome.
        expect(rita.locator(".rr-approver")).to_have_text("remo", timeout=TIMEOUT_MS)
        expect(rita.locator("pre.rr-output")).to_have_text("wiped web\n", timeout=TIMEOUT_MS)

        check_page(
            rita,
            runs,
            expect_text=["Succeeded", "wiped web", "deployment web", "remo"],
            out_dir=tmp_path,
        )
        check_page(
            rita,
            f"{runs}?lang=pt-BR",
            expect_text=["Passos do runbook", "Destrutivo", "Concluída", "wiped web"],
            out_dir=tmp_path,
        )
    finally:
        requester.close()
        approver.close()
