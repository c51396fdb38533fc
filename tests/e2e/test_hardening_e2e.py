"""Hardening against the real server and a real browser: huge unauthenticated bodies do not
grow the server, a javascript: runbook URL is not clickable, and the CSP blocks inline script."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import browser, log_in, page  # noqa: F401 - fixtures
from tests.factories.payloads import am_alert, am_webhook

HUGE = 200 * 1024 * 1024
CHUNK = b"x" * (1024 * 1024)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _stream(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield CHUNK
        sent += len(CHUNK)


def _post_huge(base_url: str, results: list[str], *, declared: bool) -> None:
    headers = {"Content-Type": "application/json"}
    if declared:
        headers["Content-Length"] = str(HUGE)
    try:
        res = httpx.post(
            f"{base_url}/api/v1/tokens",
            content=_stream(HUGE),
            headers=headers,
            timeout=30.0,
        )
        results.append(str(res.status_code))
    except httpx.HTTPError as exc:  # the server may close while the client is still sending
        results.append(type(exc).__name__)


def test_unauthenticated_huge_bodies_leave_memory_flat(plantao_sqlite: PlantaoServer) -> None:
    """Eight concurrent unauthenticated 200 MB POSTs are refused unread: RSS grows < 40 MiB."""
    server = plantao_sqlite
    assert server.process is not None
    pid = server.process.pid
    before = rss_mib(pid)
    results: list[str] = []
    threads = [
        threading.Thread(target=_post_huge, args=(server.base_url, results), kwargs={"declared": d})
        for d in (True, False) * 4
    ]
    for t in threads:
        t.start()
    peak = before
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mib(pid))
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert len(results) == 8
    assert all(r in {"413", "401"} or r.endswith("Error") for r in results), results
    assert "401" in results or "413" in results
    assert peak - before < 40, f"RSS grew from {before:.0f} to {peak:.0f} MiB"
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200  # still serving


def _incident_with_runbook_url(server: PlantaoServer, url: str) -> str:
    name = f"E2EXss{uuid.uuid4().hex[:8]}"
    alert = am_alert(name, summary=f"{name} probe")
    alert["annotations"]["runbook_url"] = url
    body = am_webhook([alert], group_key=f'{{}}:{{alertname="{name}"}}')
    assert httpx.post(server.alertmanager_url, json=body, timeout=10).status_code == 202
    headers = {"Authorization": f"Bearer {server.token}"}
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        items = httpx.get(f"{server.base_url}/api/v1/incidents", headers=headers).json()["items"]
        found = [i["human_id"] for i in items if name in i["title"]]
        if found:
            return str(found[0])
        time.sleep(0.05)
    raise AssertionError("no incident")


def test_javascript_runbook_url_is_not_clickable(
    plantao_sqlite: PlantaoServer,
    page: Any,  # noqa: F811
) -> None:
    """The incident page shows a javascript: runbook_url as text; no link runs it."""
    server = plantao_sqlite
    ref = _incident_with_runbook_url(server, "javascript:window.__pwned=1")
    log_in(page, server, path=f"/login?next=/incidents/{ref}")
    page.wait_for_url(f"{server.base_url}/incidents/{ref}")
    assert page.locator("a[href^='javascript' i]").count() == 0
    assert page.get_by_text("javascript:window.__pwned=1").count() >= 1
    for link in page.locator("a").all():
        href = link.get_attribute("href") or ""
        assert href.startswith(("/", "http://", "https://", "?", "#")), href
    assert page.evaluate("window.__pwned") is None


def test_csp_blocks_an_inline_script_that_reached_the_page(
    plantao_sqlite: PlantaoServer,
    page: Any,  # noqa: F811
) -> None:
    """Markup injected into a page served with Plantão's headers cannot run inline script."""
    server = plantao_sqlite
    violations: list[str] = []
    page.on("console", lambda msg: violations.append(msg.text))

    def inject(route: Any) -> None:
        response = route.fetch()
        body = response.text().replace(
            "</main>",
            "<script>window.__injected = 1</script><img src=x onerror='window.__e=1'></main>",
        )
        route.fulfill(response=response, body=body)

    page.route(f"{server.base_url}/login", inject)
    page.goto(f"{server.base_url}/login")
    inline = page.locator("script:not([src])")
    assert inline.count() == 1  # the injected one is in the DOM...
    assert page.evaluate("window.__injected") is None  # ...but did not run
    assert page.evaluate("window.__e") is None
    assert any("Content Security Policy" in v for v in violations), violations
