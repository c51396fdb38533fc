"""What the KPI page shows of each section: headline cards, charts and sortable tables.

Why a separate module: the sections (``plantao.kpis.sections``) give plain tables and weekly
points; turning them into pictures needs a few reading rules, kept here in one place and
tested without a browser:

- weekly trends are grouped by what they measure: a series ``"sev1 mtta_p50"`` is the Sev1 line
  of the ``mtta_p50`` chart; a series without a space is one line of the section's chart;
- a severity line's target is the ``<duration>_target_seconds`` cell of that severity's row in
  a table of the section (the severity matrix in force, as the section read it), drawn dashed
  in the line's colour;
- a table with a text first column and a count column (``incidents``, ``count``, ``alerts``,
  ``pages``, ``due``) is also drawn as bars; a table named ``*_distribution`` or with a
  ``bucket`` column as a histogram;
- weekly tables (``week, series, value, count``) are not printed: the chart's own table shows
  the same numbers pivoted (week x series), and the download links still offer them.

Numbers are written by their column's name: ``*_seconds`` and response-time series as
durations, shares/coverage as percentages. Nothing is computed here but the layout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from plantao.kpis.scope import SEVERITIES
from plantao.kpis.shapes import Cell, KpiTable, Section
from plantao.web import kpi_charts
from plantao.web.kpi_charts import Chart, Line, Target

WEEKLY_COLUMNS = ("week", "series", "value", "count")
COUNT_COLUMNS = ("incidents", "count", "alerts", "pages", "due")
_SHARE_WORDS = ("share", "coverage", "usefulness", "adherence")
#: One colour per severity on every chart of the page.
SEVERITY_COLOURS = dict(zip(SEVERITIES, kpi_charts.PALETTE, strict=False))
MAX_BARS = 15


@dataclass(frozen=True)
class Card:
    label: str
    value: str


@dataclass(frozen=True)
class Header:
    column: str
    label: str
    href: str
    sorted: str  # "ascending", "descending" or "" (aria-sort)


@dataclass(frozen=True)
class TableView:
    name: str
    headers: tuple[Header, ...]
    rows: tuple[tuple[str, ...], ...]
    csv: str
    json: str
    total: int = 0  # rows in the table; more than ``rows`` when the page shows only the first


@dataclass(frozen=True)
class SectionView:
    name: str
    title: str
    help: str
    cards: tuple[Card, ...]
    charts: tuple[Chart, ...]
    tables: tuple[TableView, ...]
    downloads: tuple[tuple[str, str], ...]  # (table, its CSV href)
    json: str  # every table of the section as JSON


def kind_of(name: str) -> str:
    """``duration``, ``share`` or ``number``: how a column or series is written."""
    low = name.lower()
    if low.endswith("_count"):
        return "number"
    if any(word in low for word in _SHARE_WORDS):
        return "share"
    if low.endswith("_seconds") or low.startswith(("mtt", "lateness")) or " mtt" in low:
        return "duration"
    return "number"


def cell_text(column: str, value: Cell) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    kind = kind_of(column)
    if kind == "duration":
        return kpi_charts.duration_text(float(value))
    if kind == "share":
        return kpi_charts.percent_text(float(value))
    return kpi_charts.plain(float(value))


def formatter(kind: str) -> kpi_charts.Format:
    if kind == "duration":
        return kpi_charts.duration_text
    if kind == "share":
        return kpi_charts.percent_text
    return kpi_charts.plain


def humanise(name: str) -> str:
    """``mtta_p50_seconds`` → ``MTTA p50`` (the unit shows in the cell), ``on_time`` →
    ``On time``: the export's identifier, readable."""
    words = name.removesuffix("_seconds").split("_")
    words = [w.upper() if w.startswith("mtt") else w for w in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def label(texts: Mapping[str, str], prefix: str, name: str) -> str:
    return texts.get(f"{prefix}{name}") or humanise(name)


def is_weekly(table: KpiTable) -> bool:
    return table.columns == WEEKLY_COLUMNS


def targets_of(section: Section) -> dict[tuple[str, str], float]:
    """(severity, duration) → target seconds, from any table with a ``severity`` column."""
    found: dict[tuple[str, str], float] = {}
    for table in section.tables:
        if "severity" not in table.columns:
            continue
        for record in table.records():
            for column, value in record.items():
                if column.endswith("_target_seconds") and isinstance(value, int | float):
                    found[(str(record["severity"]), column[: -len("_target_seconds")])] = value
    return found


def trend_charts(section: Section, texts: Mapping[str, str]) -> list[Chart]:
    """One line chart per measured thing, a line per series, targets where the section has
    them."""
    groups: dict[str, dict[str, dict[str, float | None]]] = defaultdict(lambda: defaultdict(dict))
    weeks: set[str] = set()
    for point in section.trends:
        head, _, tail = point.series.partition(" ")
        # "sev1 mtta_p50": one line of the mtta_p50 chart; "on_time_share": one line of the
        # section's chart of shares (a share and a duration never share an axis)
        if tail:
            group, line = tail, head
        else:
            group, line = f"{section.name}:{kind_of(point.series)}", point.series
        week = point.week.isoformat()
        weeks.add(week)
        groups[group][line][week] = point.value
    labels = sorted(weeks)
    targets = targets_of(section)
    charts = []
    for group, every_line in groups.items():
        # a severity without a single value in the period draws nothing, not even its target
        lines = {k: v for k, v in every_line.items() if any(x is not None for x in v.values())}
        if not lines:
            continue
        own, _, own_kind = group.partition(":")
        kind = own_kind or kind_of(group)
        chart_lines = [
            Line(
                label(texts, "kpi_c_", name) if own_kind else name,
                tuple(values.get(w) for w in labels),
                SEVERITY_COLOURS.get(name, ""),
            )
            for name, values in lines.items()
        ]
        base = group.split("_p")[0]
        goals = [
            Target(
                texts.get("kpi_target", "target").format(name=name.upper()),
                targets[(name, base)],
                SEVERITY_COLOURS.get(name, kpi_charts.TARGET_COLOUR),
            )
            for name in lines
            if (name, base) in targets
        ]
        per_week = texts.get("kpi_per_week", "{what}")
        if not own_kind:
            title = label(texts, "kpi_c_", group)
        elif len(lines) == 1:
            title = per_week.format(what=label(texts, "kpi_c_", next(iter(lines))))
        else:
            title = texts.get(f"kpi_c_{own}") or per_week.format(what=label(texts, "kpi_s_", own))
        charts.append(
            kpi_charts.line_chart(
                title=title,
                desc=texts.get("kpi_line_desc", "").format(
                    what=title, series=", ".join(lines), weeks=len(labels)
                ),
                labels=labels,
                lines=chart_lines,
                targets=goals,
                fmt=formatter(kind),
                label_column=texts.get("kpi_week", "week"),
                axis_labels=[w[5:] for w in labels],
            )
        )
    return charts


def table_charts(section: Section, texts: Mapping[str, str]) -> list[Chart]:
    charts = []
    for table in section.tables:
        if is_weekly(table) or not table.rows or not table.columns:
            continue
        if table.name.endswith(("_distribution", "_histogram")) or "bucket" in table.columns:
            counted = next((c for c in table.columns if c in COUNT_COLUMNS), None)
            if counted is None:
                continue
            i, j = 0, table.columns.index(counted)
            title = label(texts, "kpi_t_", table.name)
            charts.append(
                kpi_charts.histogram(
                    title=title,
                    desc=texts.get("kpi_hist_desc", "").format(what=title),
                    bins=[(str(r[i]), int(r[j] or 0)) for r in table.rows],
                    label_column=label(texts, "kpi_col_", table.columns[0]),
                    value_column=label(texts, "kpi_col_", counted),
                )
            )
            continue
        counted = next((c for c in COUNT_COLUMNS if c in table.columns[1:]), None)
        if counted is None or len(table.rows) > MAX_BARS:
            continue
        j = table.columns.index(counted)
        bars = [
            (r[0], float(value))
            for r in table.rows
            if isinstance(r[0], str) and isinstance(value := r[j], int | float)
        ]
        if not any(v for _, v in bars):
            continue
        title = f"{label(texts, 'kpi_t_', table.name)}: {label(texts, 'kpi_col_', counted)}"
        charts.append(
            kpi_charts.bar_chart(
                title=title,
                desc=texts.get("kpi_bar_desc", "").format(what=title),
                bars=bars,
                label_column=label(texts, "kpi_col_", table.columns[0]),
                value_column=label(texts, "kpi_col_", counted),
            )
        )
    return charts


def sort_rows(
    table: KpiTable, column: str | None, descending: bool
) -> tuple[tuple[Cell, ...], ...]:
    """Rows ordered by ``column`` (numbers as numbers, empty cells last either way)."""
    if column not in table.columns:
        return table.rows
    j = table.columns.index(column)
    present = [r for r in table.rows if r[j] is not None]
    missing = [r for r in table.rows if r[j] is None]

    def key(row: tuple[Cell, ...]) -> tuple[int, float, str]:
        value = row[j]
        if isinstance(value, int | float):
            return (0, float(value), "")
        return (1, 0.0, str(value).lower())

    return (*sorted(present, key=key, reverse=descending), *missing)


#: Rows a table shows on the page (after sorting). A year's "by release" table has thousands of
#: rows: nobody reads them in a page, and rendering them cost more than computing them. The
#: CSV and JSON downloads always hold every row; the header links sort the whole table first.
PAGE_ROWS = 100


def table_view(
    table: KpiTable,
    section: str,
    texts: Mapping[str, str],
    query: str,
    sort: tuple[str, str, bool] | None,
) -> TableView:
    """A table with header links that sort it (server-side: no script needed)."""
    chosen = sort[1] if sort and sort[0] == table.name else None
    descending = bool(sort and sort[0] == table.name and sort[2])
    headers = []
    for column in table.columns:
        is_it = column == chosen
        direction = "asc" if is_it and descending else "desc" if is_it else "asc"
        headers.append(
            Header(
                column=column,
                label=label(texts, "kpi_col_", column),
                href=f"/kpis?{query}&sort={table.name}.{column}&dir={direction}#t-{table.name}",
                sorted=("descending" if descending else "ascending") if is_it else "",
            )
        )
    rows = tuple(
        tuple(cell_text(c, v) for c, v in zip(table.columns, row, strict=True))
        for row in sort_rows(table, chosen, descending)[:PAGE_ROWS]
    )
    base = f"/kpis/export/{section}"
    return TableView(
        name=table.name,
        headers=tuple(headers),
        rows=rows,
        csv=f"{base}.csv?{query}&table={table.name}",
        json=f"{base}.json?{query}",
        total=len(table.rows),
    )


def parse_sort(sort: str | None, direction: str | None) -> tuple[str, str, bool] | None:
    """``sort=<table>.<column>``, ``dir=asc|desc``; anything else sorts nothing."""
    if not sort or "." not in sort:
        return None
    table, _, column = sort.partition(".")
    return table, column, direction == "desc"


def section_view(
    section: Section,
    texts: Mapping[str, str],
    query: str,
    sort: tuple[str, str, bool] | None = None,
) -> SectionView:
    cards = tuple(
        Card(label(texts, "kpi_h_", key), cell_text(key, value))
        for key, value in section.headline.items()
    )
    tables = tuple(
        table_view(t, section.name, texts, query, sort) for t in section.tables if not is_weekly(t)
    )
    base = f"/kpis/export/{section.name}"
    downloads = tuple((t.name, f"{base}.csv?{query}&table={t.name}") for t in section.tables)
    return SectionView(
        name=section.name,
        title=label(texts, "kpi_s_", section.name),
        help=texts.get(f"kpi_s_{section.name}_help", ""),
        cards=cards,
        charts=(*trend_charts(section, texts), *table_charts(section, texts)),
        tables=tables,
        downloads=downloads,
        json=f"{base}.json?{query}",
    )


def page_views(
    sections: Sequence[Section],
    texts: Mapping[str, str],
    query: str,
    sort: tuple[str, str, bool] | None,
) -> list[SectionView]:
    return [section_view(s, texts, query, sort) for s in sections]
