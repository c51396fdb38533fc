"""A KPI section as JSON or one of its tables as CSV: the same bytes from the API and the page.

Why here and not in each entry point: the API (token) and the web page (session) both offer
"download this table"; writing the CSV once keeps the two files identical. Cells a spreadsheet
would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``, tab or CR) get a leading
apostrophe, the OWASP advice against CSV injection: service names and release versions come
from people and senders.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from plantao.errors import NotFound
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import Cell, KpiTable, Section

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_json(section: Section, scope: KpiScope) -> dict[str, Any]:
    """``{"section", "scope", "headline", "tables": {name: [records]}, "trends": [...]}``."""
    return {
        "section": section.name,
        "scope": scope.query(),
        "headline": dict(section.headline),
        "tables": {table.name: table.records() for table in section.tables},
        "trends": [
            {"week": p.week.isoformat(), "series": p.series, "value": p.value, "count": p.count}
            for p in section.trends
        ],
    }


def pick_table(section: Section, name: str | None) -> KpiTable:
    """The table called ``name`` (default: the section's first); unknown names are a 404."""
    if not name:
        if not section.tables:
            raise NotFound(f"KPI section {section.name!r} has no table")
        return section.tables[0]
    for table in section.tables:
        if table.name == name:
            return table
    known = ", ".join(t.name for t in section.tables)
    raise NotFound(f"KPI section {section.name!r} has no table {name!r}; known: {known}")


def _safe(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def as_csv(table: KpiTable) -> str:
    """The table with a header line; empty cells for None (CRLF line ends, RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if c is None else _safe(c) for c in row])
    return out.getvalue()


def filename(table: KpiTable, scope: KpiScope, suffix: str) -> str:
    """``response_by_severity_2026-11-01_2026-12-01.csv``: what the file holds, for when."""
    return f"{table.name}_{scope.start.date().isoformat()}_{scope.end.date().isoformat()}.{suffix}"
