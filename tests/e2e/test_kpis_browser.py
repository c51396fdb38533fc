"""The KPI page in a real Chromium on a real ``plantao serve`` over a scripted month: 1366 and
390 px (no horizontal scroll, no serious axe-core finding) in English and Portuguese, and the
charts checked by what the screenshot shows — the severities' colours on the MTTA chart, a
dashed target line where the SVG says it is, coloured bars — not by the PNG's magic bytes."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session

from plantao.db import make_engine, make_sessionmaker, session_scope
from plantao.web.kpi_charts import PALETTE
from tests.e2e.conftest import PlantaoServer
from tests.e2e.test_browser import browser, log_in, page
from tests.e2e.ui_harness import check_page
from tests.factories.kpi_history import add_incident

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, imported so this module can use them

SEV1, SEV2 = PALETTE[0], PALETTE[1]


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel[:3], colour, strict=True))


@pytest.fixture(scope="module")
def scripted(plantao_sqlite: PlantaoServer) -> PlantaoServer:
    """Four weeks of Sev1 (acknowledged in 3-9 min) and Sev2 (10-20 min) incidents on the
    server's own database, written once per module as rows with exact times
    (tests/factories/kpi_history)."""
    engine = make_engine(plantao_sqlite.database_url)
    factory = make_sessionmaker(engine)
    now = datetime.now(UTC)
    session: Session
    with session_scope(factory) as session:
        for days, ack, resolved in ((3, 3, 40), (10, 7, 80), (17, 4, 50), (24, 9, 70)):
            add_incident(session, "checkout", "sev1", now - timedelta(days=days), ack=ack,
                         resolved=resolved)  # fmt: skip
        for days, ack, resolved in ((5, 10, 200), (12, 20, 300), (19, 12, 250)):
            add_incident(session, "platform", "sev2", now - timedelta(days=days), ack=ack,
                         resolved=resolved)  # fmt: skip
    engine.dispose()
    return plantao_sqlite


def test_kpi_page_on_a_phone_and_a_desktop_in_both_languages(
    scripted: PlantaoServer, page: Any, tmp_path: Path
) -> None:
    """Layout, axe-core and the visible headings at 1366 and 390 px, English and Portuguese."""
    url = f"{scripted.base_url}/kpis?days=30"
    log_in(page, scripted, path="/login?next=/kpis")
    check_page(
        page,
        url,
        expect_text=["How we are doing", "Response times", "Time to acknowledge (p50) per week"],
        out_dir=tmp_path,
    )
    check_page(
        page,
        f"{url}&lang=pt-BR",
        expect_text=["Como estamos indo", "Tempos de resposta", "Carga do plantão"],
        out_dir=tmp_path / "pt",
    )


def test_charts_show_the_series_colours_and_a_dashed_target_line(
    scripted: PlantaoServer, page: Any
) -> None:
    """The MTTA chart's pixels hold both severities' colours; along the Sev1 target line's row
    the colour comes and goes (dashes); the bar chart shows two bar colours; the distribution
    histogram has filled bins."""
    log_in(page, scripted, path="/login?next=/kpis")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{scripted.base_url}/kpis?days=30&lang=en", wait_until="load")
    chart = page.locator("svg.kpi-line").first
    chart.scroll_into_view_if_needed()
    shot = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
    pixels = list(shot.getdata())
    for colour in (SEV1, SEV2):
        hits = sum(1 for p in pixels if p == rgb(colour))
        assert hits > 100, f"{colour}: {hits} pixels on the MTTA chart"

    box = chart.bounding_box()
    target = chart.locator("g.target line").first
    assert target.get_attribute("stroke") == SEV1 and target.get_attribute("stroke-dasharray")
    line = target.bounding_box()
    assert box is not None and line is not None
    y_mid = line["y"] + line["height"] / 2 - box["y"]
    x0, x1 = int(line["x"] - box["x"]) + 2, int(line["x"] + line["width"] - box["x"]) - 2
    best: list[bool] = []
    for y in (int(y_mid) - 1, int(y_mid), int(y_mid) + 1):
        row = [near(shot.getpixel((x, y)), rgb(SEV1)) for x in range(x0, x1)]  # type: ignore[arg-type]
        if sum(row) > sum(best):
            best = row
    coverage = sum(best) / len(best)
    dashes = sum(1 for a, b in pairwise(best) if b and not a)
    assert 0.4 < coverage < 0.9, f"target row coverage {coverage:.2f}: not a dashed line"
    assert dashes >= 10, f"{dashes} dashes along the target line"

    bars = page.locator("svg.kpi-bar").first
    bars.scroll_into_view_if_needed()
    bar_pixels = list(Image.open(io.BytesIO(bars.screenshot())).convert("RGB").getdata())
    for colour in (SEV1, SEV2):
        assert sum(1 for p in bar_pixels if p == rgb(colour)) > 200, colour

    histogram = page.locator("svg.kpi-histogram").first
    histogram.scroll_into_view_if_needed()
    bins = list(Image.open(io.BytesIO(histogram.screenshot())).convert("RGB").getdata())
    assert sum(1 for p in bins if p == rgb(PALETTE[0])) > 200, "no histogram bins drawn"


def test_csv_download_from_the_page_holds_the_scripted_incidents(
    scripted: PlantaoServer, page: Any
) -> None:
    """Clicking the response table's CSV link downloads a file with 4 Sev1 and 3 Sev2."""
    log_in(page, scripted, path="/login?next=/kpis")
    page.goto(f"{scripted.base_url}/kpis?days=30", wait_until="load")
    with page.expect_download() as info:
        page.click("a[href^='/kpis/export/response.csv']")
    download = info.value
    assert download.suggested_filename.startswith("response_by_severity_")
    lines = Path(download.path()).read_text().splitlines()
    rows = {line.split(",")[0]: line.split(",")[1] for line in lines[1:]}
    assert (rows["sev1"], rows["sev2"], rows["sev3"]) == ("4", "3", "0")
