"""The KPI page's SVG charts: well-formed XML, the expected series, points, trend and target
lines, accessible names, and no inline style (the page's CSP forbids it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from plantao.web import kpi_charts
from plantao.web.kpi_charts import Line, Target

SVG = "{http://www.w3.org/2000/svg}"
WEEKS = ("11-02", "11-09", "11-16", "11-23")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output, the brief asks for xml.etree
    assert root.tag == f"{SVG}svg"
    return root


def no_inline_style(root: ET.Element) -> None:
    for el in root.iter():
        assert "style" not in el.attrib, el.tag
        assert el.tag != f"{SVG}style"
        assert el.tag != f"{SVG}script"


def two_series_chart() -> kpi_charts.Chart:
    return kpi_charts.line_chart(
        title="MTTA p50 per week",
        desc="Median time to acknowledge, Sev1 and Sev2",
        labels=WEEKS,
        lines=[
            Line("sev1", (240.0, 300.0, None, 180.0)),
            Line("sev2", (600.0, 900.0, 1200.0, 700.0)),
        ],
        targets=[Target("Sev1 target", 300.0), Target("Sev2 target", 900.0, "#000000")],
        fmt=kpi_charts.duration_text,
        label_column="Week",
    )


def test_line_chart_parses_with_one_group_per_series_and_a_point_per_value() -> None:
    """Two series give two groups; a missing week has no point (3 + 4 circles)."""
    root = parse(two_series_chart().svg)
    groups = root.findall(f".//{SVG}g[@class='series']")
    assert [g.get("data-series") for g in groups] == ["sev1", "sev2"]
    assert [len(g.findall(f"{SVG}circle")) for g in groups] == [3, 4]


def test_a_missing_value_breaks_the_line_instead_of_dropping_to_zero() -> None:
    """Sev1 has weeks 1-2 joined and week 4 alone: one polyline of two points, none to zero."""
    root = parse(two_series_chart().svg)
    sev1 = root.find(f".//{SVG}g[@data-series='sev1']")
    assert sev1 is not None
    polylines = sev1.findall(f"{SVG}polyline")
    assert len(polylines) == 1
    assert len(polylines[0].get("points", "").split()) == 2


def test_every_series_has_a_dotted_trend_line_in_its_colour() -> None:
    """Each series with two or more points gets one trend line drawn in the series colour."""
    chart = two_series_chart()
    root = parse(chart.svg)
    for name, colour, _kind in chart.legend[:2]:
        group = root.find(f".//{SVG}g[@data-series='{name}']")
        assert group is not None
        trends = group.findall(f"{SVG}line[@class='trend']")
        assert len(trends) == 1
        assert trends[0].get("stroke") == colour
        assert trends[0].get("stroke-dasharray")


def test_target_lines_are_dashed_and_sit_at_their_value() -> None:
    """Two targets: two dashed lines; the 900 s one lies above (smaller y) the 300 s one."""
    root = parse(two_series_chart().svg)
    targets = root.findall(f".//{SVG}g[@class='target']")
    assert [t.get("data-value") for t in targets] == ["300", "900"]
    ys = []
    for t in targets:
        line = t.find(f"{SVG}line")
        assert line is not None and line.get("stroke-dasharray") == "8 5"
        ys.append(float(line.get("y1", "0")))
    assert ys[1] < ys[0]
    assert targets[1].find(f"{SVG}line").get("stroke") == "#000000"  # type: ignore[union-attr]


def test_chart_is_an_image_named_by_its_title_and_description_without_inline_style() -> None:
    """role=img, aria-labelledby points at the <title> and <desc> ids; no style/script."""
    root = parse(two_series_chart().svg)
    assert root.get("role") == "img"
    ids = (root.get("aria-labelledby") or "").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert ids == [title.get("id"), desc.get("id")]
    assert title.text == "MTTA p50 per week"
    no_inline_style(root)


def test_line_chart_table_holds_the_same_data_formatted() -> None:
    """The table after the chart: one row per week, one column per series, — for none."""
    chart = two_series_chart()
    assert chart.columns == ("Week", "sev1", "sev2")
    assert chart.rows[0] == ("11-02", "4 min", "10 min")
    assert chart.rows[2] == ("11-16", "—", "20 min")


def test_trend_is_the_least_squares_fit() -> None:
    """Points (0,1) (1,3) (3,7): slope 2, intercept 1; one point has no trend."""
    assert kpi_charts.trend([1.0, 3.0, None, 7.0]) == pytest.approx((2.0, 1.0))
    assert kpi_charts.trend([None, 5.0]) is None


def test_bar_chart_has_one_bar_per_label_longest_for_the_largest() -> None:
    """Three bars in three colours; the widest belongs to the largest value; text escaped."""
    chart = kpi_charts.bar_chart(
        title="Incidents by root cause",
        desc="counts",
        bars=[("deploy", 6.0), ("capacity <db>", 3.0), ("unclassified", 1.0)],
    )
    root = parse(chart.svg)
    rects = root.findall(f".//{SVG}g[@class='bar']/{SVG}rect")
    assert len(rects) == 3
    widths = [float(r.get("width", "0")) for r in rects]
    assert widths[0] == max(widths) and widths[0] == pytest.approx(widths[1] * 2)
    assert len({r.get("fill") for r in rects}) == 3
    assert chart.rows[1] == ("capacity <db>", "3")
    no_inline_style(root)


def test_histogram_draws_adjacent_bins_with_heights_in_proportion() -> None:
    """Bins 2, 4, 0: the second is twice as tall as the first and the third is flat."""
    chart = kpi_charts.histogram(
        title="Time to acknowledge",
        desc="bins",
        bins=[("< 5 min", 2), ("5-15 min", 4), ("> 15", 0)],
    )
    root = parse(chart.svg)
    rects = root.findall(f".//{SVG}g[@class='bin']/{SVG}rect")
    heights = [float(r.get("height", "0")) for r in rects]
    assert heights[1] == pytest.approx(heights[0] * 2) and heights[2] == 0
    no_inline_style(root)


@pytest.mark.parametrize(
    ("seconds", "text"), [(45, "45 s"), (300, "5 min"), (5400, "1.5 h"), (172800, "2 d")]
)
def test_duration_text_reads_like_a_person_writes_it(seconds: int, text: str) -> None:
    """Seconds become the largest unit that keeps the number readable."""
    assert kpi_charts.duration_text(seconds) == text


def test_axis_ends_at_a_round_number_over_the_largest_value() -> None:
    """7.3 → 8, 240 → 300, 1.5 → 1.6, 0 → 1 (an empty chart still has an axis); durations
    round in their unit: 1250 s (20.8 min) → 30 min, 25 h → 30 h."""
    assert kpi_charts.nice_ceiling(7.3) == 8
    assert kpi_charts.nice_ceiling(240) == 300
    assert kpi_charts.nice_ceiling(1.5) == 1.6
    assert kpi_charts.nice_ceiling(0) == 1
    assert kpi_charts.nice_duration(1250) == 1800
    assert kpi_charts.nice_duration(25 * 3600) == 30 * 3600
