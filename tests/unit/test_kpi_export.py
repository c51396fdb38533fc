"""KPI export: a section as JSON and a table as CSV, identical from the API and the page, safe
to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from plantao.errors import NotFound
from plantao.kpis import export
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import KpiTable, Section, WeekPoint

SCOPE = KpiScope(
    start=datetime(2026, 11, 1, tzinfo=UTC), end=datetime(2026, 12, 1, tzinfo=UTC), team="sre"
)
BY_VERSION = KpiTable(
    name="by_version",
    columns=("version", "incidents", "share"),
    rows=(('=HYPERLINK("x")', 2, 0.5), ("v1.2", 1, None), ("-rc", 1, 0.25)),
)
WEEKLY = KpiTable(name="weekly", columns=("week", "value"), rows=(("2026-11-02", 3),))
SECTION = Section(
    name="change_caused",
    tables=(BY_VERSION, WEEKLY),
    trends=(WeekPoint(date(2026, 11, 2), "share", 0.5, 4),),
    headline={"incidents": 4},
)


def test_json_has_section_scope_headline_tables_and_trends() -> None:
    """Tables become lists of records keyed by column; the scope is the request's query."""
    body = export.as_json(SECTION, SCOPE)
    assert body["section"] == "change_caused"
    assert body["scope"] == {
        "from": "2026-11-01T00:00:00Z",
        "to": "2026-12-01T00:00:00Z",
        "team": "sre",
    }
    assert body["tables"]["by_version"][1] == {"version": "v1.2", "incidents": 1, "share": None}
    assert body["trends"] == [{"week": "2026-11-02", "series": "share", "value": 0.5, "count": 4}]
    assert body["headline"] == {"incidents": 4}


def test_csv_neutralises_formulas_and_leaves_none_empty() -> None:
    """Text starting with = or - gets an apostrophe; None is an empty cell; numbers stay."""
    rows = list(csv.reader(io.StringIO(export.as_csv(BY_VERSION))))
    assert rows[0] == ["version", "incidents", "share"]
    assert rows[1] == ['\'=HYPERLINK("x")', "2", "0.5"]
    assert rows[2] == ["v1.2", "1", ""]
    assert rows[3][0] == "'-rc"


def test_pick_table_defaults_to_the_first_and_404s_on_unknown_names() -> None:
    """No name: the first table; a wrong name: NotFound listing the known tables."""
    assert export.pick_table(SECTION, None) is BY_VERSION
    assert export.pick_table(SECTION, "weekly") is WEEKLY
    with pytest.raises(NotFound, match="by_version, weekly"):
        export.pick_table(SECTION, "nope")


def test_filename_says_what_and_when() -> None:
    """<table>_<from>_<to>.<suffix>, dates of the scope."""
    assert export.filename(WEEKLY, SCOPE, "csv") == "weekly_2026-11-01_2026-12-01.csv"
