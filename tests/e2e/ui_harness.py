"""Shared browser checks for every page of the web UI: phone and desktop widths, axe-core,
visible text and a screenshot. Page tests call ``check_page``; keep its signature stable.

    from tests.e2e.ui_harness import check_page

    shots = check_page(page, f"{server.base_url}/oncall", expect_text=["On call", "ana"],
                       out_dir=tmp_path)

For each width (default 1366 and 390 px) ``check_page``:

1. loads ``url`` (until the load event: pages with a live stream never go network-idle);
2. asserts no horizontal scroll (``document.documentElement.scrollWidth <= innerWidth``);
3. runs axe-core and fails on any violation of impact ``serious`` or ``critical`` (they are
   printed, one line per element, with the rule's help link); ``moderate``/``minor`` ones are
   printed but do not fail;
4. asserts each text of ``expect_text`` is visible (at least one visible element contains it:
   a text that only sits in the collapsed phone menu does not count);
5. saves a full-page PNG screenshot in ``out_dir`` and checks it is one.

It returns the screenshot paths (one per width, in ``widths`` order).

axe-core comes from npm, pinned by ``tests/factories/axe/package-lock.json`` and installed with
``npm ci`` once per lock file (like the OpenID provider in ``tests/factories/oidc.py``). It is
injected with ``page.add_init_script`` — the browser evaluates init scripts itself, outside the
page's Content-Security-Policy — so the page is checked under its real, strict CSP and no
``bypass_csp`` is needed (``add_script_tag`` would insert an inline ``<script>``, which that CSP
rightly blocks). The first check on a page adds the init script and reloads it.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tests.factories.requirements import require_component

AXE_DIR = Path(__file__).resolve().parent.parent / "factories" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
_STAMP = AXE_DIR / "node_modules" / ".plantao-lock-sha256"
COMPONENT = "node + axe-core"
INSTALL_TIMEOUT = 300.0
FAILING_IMPACTS = frozenset({"serious", "critical"})
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VIEWPORT_HEIGHT = 900


def install_axe() -> Path:
    """``npm ci`` the pinned axe-core unless node_modules already matches the lock file; the
    path of ``axe.min.js``. Missing npm or a failed install skips (fails under
    PLANTAO_REQUIRE_E2E=1)."""
    npm = shutil.which("npm")
    require_component(f"{COMPONENT} (npm on PATH)", npm is not None)
    assert npm is not None
    digest = hashlib.sha256((AXE_DIR / "package-lock.json").read_bytes()).hexdigest()
    with (Path(tempfile.gettempdir()) / "plantao-axe-install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test processes must not run npm ci together
        if _STAMP.exists() and _STAMP.read_text().strip() == digest and AXE_SCRIPT.exists():
            return AXE_SCRIPT
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=AXE_DIR,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            require_component(f"{COMPONENT} (npm ci timed out)", False)
            return AXE_SCRIPT
        if done.returncode != 0 or not AXE_SCRIPT.exists():
            require_component(f"{COMPONENT} (npm ci failed: {done.stderr.strip()[-500:]})", False)
            return AXE_SCRIPT
        _STAMP.write_text(digest + "\n")
    return AXE_SCRIPT


def _ensure_axe(page: Any) -> None:
    """Make ``window.axe`` exist on this page and on every later navigation of it."""
    if page.evaluate("typeof window.axe") == "object":
        return
    page.add_init_script(path=str(install_axe()))
    page.reload(wait_until="load")
    assert page.evaluate("typeof window.axe") == "object", "axe-core did not load in the page"


def axe_violations(page: Any, *, exclude: Sequence[str] = ()) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (all impacts), elements matching the CSS
    selectors in ``exclude`` left out."""
    _ensure_axe(page)
    context: Any = {"exclude": [[s] for s in exclude]} if exclude else "document"
    result: dict[str, Any] = page.evaluate(
        """async ([context]) => {
            const ctx = context === "document" ? document : context;
            return await window.axe.run(ctx, {resultTypes: ["violations"]});
        }""",
        [context],
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def describe(violations: Iterable[dict[str, Any]]) -> str:
    """One line per offending element: impact, rule, what to fix, where, and the help link."""
    lines = []
    for v in violations:
        for node in v.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(
                f"[{v.get('impact')}] {v['id']}: {v.get('help')} at {target!r}: {summary} "
                f"({v.get('helpUrl')})"
            )
    return "\n".join(lines)


def horizontal_overflow(page: Any) -> str | None:
    """None when the page fits its viewport's width; else what sticks out, widest first."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if fits:
        return None
    culprits = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const out = [];
            for (const el of document.body.querySelectorAll("*")) {
                const box = el.getBoundingClientRect();
                if (box.right > width + 1) {
                    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                        (el.className && typeof el.className === "string"
                            ? "." + el.className.trim().split(/\\s+/).join(".") : "");
                    out.push([Math.round(box.right), name]);
                }
            }
            out.sort((a, b) => b[0] - a[0]);
            return out.slice(0, 8).map(([r, n]) => n + " ends at " + r + "px");
        }"""
    )
    scroll = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    return f"page is {scroll}px wide in a {inner}px viewport: " + "; ".join(culprits)


def _slug(url: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", url.split("://", 1)[-1]).strip("-")[:80] or "page"


def check_page(
    page: Any,
    url: str,
    *,
    widths: Sequence[int] = (1366, 390),
    expect_text: Sequence[str] = (),
    out_dir: Path | None = None,
    axe_exclude: Sequence[str] = (),
    ready: str | None = None,
) -> list[Path]:
    """Load ``url`` at each width and check layout, accessibility and content (see the module
    docstring); the screenshots taken, one per width. ``axe_exclude``: CSS selectors axe
    skips (for content the page does not control, e.g. a rendered runbook; say why).
    ``ready``: a selector that must match once before checking (a live page: its stream open)."""
    from playwright.sync_api import expect

    folder = out_dir or Path(tempfile.mkdtemp(prefix="plantao-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT})
        page.goto(url, wait_until="load")
        _ensure_axe(page)
        if ready is not None:
            expect(page.locator(ready)).to_have_count(1)
        where = f"{url} at {width}px"

        overflow = horizontal_overflow(page)
        assert overflow is None, f"{where}: horizontal scroll: {overflow}"

        violations = axe_violations(page, exclude=axe_exclude)
        if violations:
            print(f"axe-core on {where}:\n{describe(violations)}")
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        assert not failing, f"{where}: serious/critical axe violations:\n{describe(failing)}"

        for text in expect_text:
            visible = page.get_by_text(text).filter(visible=True)
            try:
                expect(visible.first).to_be_visible()
            except AssertionError:
                raise AssertionError(f"{where}: no visible element shows {text!r}") from None

        shot = folder / f"{_slug(url)}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        data = shot.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 1000, f"{where}: bad screenshot"
        shots.append(shot)
    return shots
