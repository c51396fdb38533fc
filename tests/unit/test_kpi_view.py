"""How the KPI page reads a section: trend series grouped into charts, severity targets found
in the section's own table, bars for count tables, numbers written by their column's kind,
and server-side sorting with empty cells last."""

from __future__ import annotations

from datetime import date

from plantao.kpis.shapes import KpiTable, Section, WeekPoint
from plantao.web import kpi_view
from plantao.web.i18n import TEXTS

EN = TEXTS["en"]
W1, W2 = date(2026, 11, 2), date(2026, 11, 9)
BY_SEVERITY = KpiTable(
    name="response_by_severity",
    columns=("severity", "incidents", "mtta_p50_seconds", "mtta_target_seconds", "mtta_met_share"),
    rows=(
        ("sev1", 2, 300.0, 300, 0.5),
        ("sev2", 1, 600.0, 900, 1.0),
        ("sev3", 0, None, 3600, None),
    ),
)
RESPONSE = Section(
    name="response",
    tables=(BY_SEVERITY,),
    trends=(
        WeekPoint(W1, "sev1 mtta_p50", 240.0, 1),
        WeekPoint(W2, "sev1 mtta_p50", None, 0),
        WeekPoint(W1, "sev2 mtta_p50", 600.0, 1),
        WeekPoint(W2, "sev2 mtta_p50", 700.0, 1),
        WeekPoint(W1, "sev3 mtta_p50", None, 0),
        WeekPoint(W2, "sev3 mtta_p50", None, 0),
        WeekPoint(W1, "sev1 mttr_p50", 3000.0, 1),
        WeekPoint(W2, "sev1 mttr_p50", 3600.0, 1),
    ),
    headline={"incidents": 3},
)


def test_series_are_grouped_by_what_they_measure_with_each_severitys_target() -> None:
    """mtta_p50 (sev1, sev2) and mttr_p50 (sev1): two line charts; MTTA targets 300/900 s."""
    view = kpi_view.section_view(RESPONSE, EN, "from=x")
    lines = [c for c in view.charts if c.kind == "line"]
    assert [c.title for c in lines] == [
        "Time to acknowledge (p50) per week",
        "Time to resolve (p50) per week",
    ]
    assert lines[0].columns == ("Week", "sev1", "sev2")
    assert lines[0].rows == (("2026-11-02", "4 min", "10 min"), ("2026-11-09", "—", "11.7 min"))
    assert 'data-value="300"' in lines[0].svg and 'data-value="900"' in lines[0].svg
    assert "Sev1 target" not in lines[1].svg  # no mttr target column in the table
    # Sev3 has a target (3600 s) but no value in the period: neither line nor target drawn
    assert 'data-value="3600"' not in lines[0].svg
    assert [name for name, _c, _k in lines[0].legend] == [
        "sev1",
        "sev2",
        "SEV1 target",
        "SEV2 target",
    ]


def test_counts_of_durations_are_numbers() -> None:
    """mtta_count is how many incidents, not seconds; mtta_p50_seconds is a duration."""
    assert kpi_view.cell_text("mtta_count", 4) == "4"
    assert kpi_view.cell_text("mtta_p50_seconds", 4) == "4 s"
    assert kpi_view.cell_text("mtta_met_share", 0.25) == "25 %"


def test_a_count_table_is_also_drawn_as_bars() -> None:
    """response_by_severity has an incidents column: a bar per severity."""
    view = kpi_view.section_view(RESPONSE, EN, "from=x")
    bars = [c for c in view.charts if c.kind == "bar"]
    assert len(bars) == 1 and bars[0].rows == (("sev1", "2"), ("sev2", "1"), ("sev3", "0"))


def test_cells_are_written_by_their_column() -> None:
    """Seconds as durations, shares as percentages, None as a dash; headline cards too."""
    view = kpi_view.section_view(RESPONSE, EN, "from=x")
    assert view.tables[0].rows[0] == ("sev1", "2", "5 min", "5 min", "50 %")
    assert view.tables[0].rows[2][2] == "—"
    assert view.cards == (kpi_view.Card("incidents", "3"),)


def test_sorting_orders_numbers_and_keeps_empty_cells_last() -> None:
    """MTTA descending: sev2 then sev1, sev3 (no value) last; the header says descending."""
    sort = kpi_view.parse_sort("response_by_severity.mtta_p50_seconds", "desc")
    view = kpi_view.section_view(RESPONSE, EN, "from=x", sort)
    assert [r[0] for r in view.tables[0].rows] == ["sev2", "sev1", "sev3"]
    header = view.tables[0].headers[2]
    assert header.sorted == "descending" and header.href.endswith("&dir=asc#t-response_by_severity")


def test_weekly_tables_are_downloads_not_page_tables() -> None:
    """A week/series/value/count table is offered as CSV but not printed (the chart has it)."""
    weekly = KpiTable("response_weekly", kpi_view.WEEKLY_COLUMNS, (("2026-11-02", "a", 1.0, 1),))
    section = Section(name="response", tables=(BY_SEVERITY, weekly))
    view = kpi_view.section_view(section, EN, "from=x")
    assert [t.name for t in view.tables] == ["response_by_severity"]
    assert [name for name, _ in view.downloads] == ["response_by_severity", "response_weekly"]


def test_a_single_share_series_is_titled_and_written_as_a_percentage() -> None:
    """Series "on_time_share" of section routines: "On time per week", values in %."""
    section = Section(name="routines", tables=(), trends=(WeekPoint(W1, "on_time_share", 0.75, 4),))
    chart = kpi_view.section_view(section, EN, "q").charts[0]
    assert chart.title == "On time per week" and chart.rows == (("2026-11-02", "75 %"),)


def test_a_share_and_a_duration_of_one_section_get_separate_charts() -> None:
    """on_time_share (%) and lateness_p50_seconds (time) never share an axis: two charts."""
    section = Section(
        name="update_punctuality",
        tables=(),
        trends=(
            WeekPoint(W1, "on_time_share", 0.5, 2),
            WeekPoint(W1, "lateness_p50_seconds", 90.0, 1),
        ),
    )
    charts = kpi_view.section_view(section, EN, "q").charts
    assert [c.title for c in charts] == ["On time per week", "Lateness (p50) per week"]
    assert charts[1].rows == (("2026-11-02", "1.5 min"),)


def test_a_distribution_table_is_drawn_as_a_histogram() -> None:
    """mtta_distribution (bucket, incidents): one histogram, its bins in the table's order."""
    table = KpiTable(
        "mtta_distribution",
        ("bucket", "incidents", "sev1"),
        (("<= 1 min", 2, 2), ("1-5 min", 1, 1)),
    )
    view = kpi_view.section_view(Section(name="response_distribution", tables=(table,)), EN, "q")
    assert [c.kind for c in view.charts] == ["histogram"]
    assert view.charts[0].title == "Time to acknowledge"
    assert view.charts[0].columns == ("Range", "Incidents")
    assert view.charts[0].rows == (("<= 1 min", "2"), ("1-5 min", "1"))


def test_a_long_table_shows_its_first_rows_after_sorting_the_whole_of_it() -> None:
    """A 250-row table shows 100 rows on the page, sorted over all 250, and counts them all."""
    rows = tuple(("svc", f"v{i}", i) for i in range(250))
    table = KpiTable("change_caused_by_release", ("service", "release", "incidents"), rows)
    section = Section(name="change_caused", tables=(table,))
    sort = kpi_view.parse_sort("change_caused_by_release.incidents", "desc")
    view = kpi_view.section_view(section, EN, "from=x", sort).tables[0]
    assert len(view.rows) == kpi_view.PAGE_ROWS == 100
    assert view.total == 250
    assert [r[1] for r in view.rows[:2]] == ["v249", "v248"]
