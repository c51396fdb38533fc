"""The KPI benchmark's query report: every statement each KPI section runs, under EXPLAIN.

Why record the statements instead of writing the queries here: the figures are computed in the
section modules (``plantao.kpis.<section>.compute``) and a copy of their SQL in a benchmark
would drift from them. A ``before_cursor_execute`` listener keeps each statement with its
parameters while the section is computed once for the year; each is then run again under
``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` on the same connection, and the plan is reduced to
one line: time, node types, indexes used, sequential scans, and buffers hit/read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import event

from harness import figure
from plantao.db import make_engine, make_sessionmaker, session_scope

WIDTH = 52
TABLES = (
    "incidents",
    "alerts",
    "oncall_pages",
    "status_updates",
    "postmortems",
    "corrective_actions",
    "change_events",
    "runbook_links",
    "kpi_incident_rollups",
    "kpi_alert_name_counts",
    "oncall_routine_tasks",
)


def _sections() -> list[tuple[str, Any]]:
    """The sections the page computes (``plantao.kpis.sections.SECTIONS``), in page order."""
    from plantao.kpis.sections import SECTIONS

    return [(name, compute) for name, compute in SECTIONS.items()]


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _walk(child)


def summarize(plan: dict[str, Any]) -> str:
    """One line: execution ms, node types (with counts), indexes, seq scans, buffers."""
    top = plan["Plan"]
    kinds: dict[str, int] = {}
    indexes: list[str] = []
    seq: list[str] = []
    for node in _walk(top):
        kinds[node["Node Type"]] = kinds.get(node["Node Type"], 0) + 1
        if "Index Name" in node and node["Index Name"] not in indexes:
            indexes.append(node["Index Name"])
        if node["Node Type"] == "Seq Scan":
            seq.append(f"{node.get('Relation Name')}({node.get('Actual Rows', 0)} rows)")
    nodes = ", ".join(f"{k}×{v}" if v > 1 else k for k, v in kinds.items())
    return (
        f"{plan.get('Execution Time', 0.0):.1f} ms; rows {top.get('Actual Rows')}; "
        f"nodes: {nodes}; indexes: {', '.join(indexes) or '-'}; "
        f"seq scans: {', '.join(seq) or '-'}; buffers hit {top.get('Shared Hit Blocks', 0)} "
        f"read {top.get('Shared Read Blocks', 0)}"
    )


def explain_sections(url: str, start: datetime, end: datetime) -> None:
    """Compute each section for ``[start, end)`` once, then EXPLAIN each statement it ran."""
    from plantao import tables  # noqa: F401 - every table, for the foreign keys' targets
    from plantao.kpis.scope import KpiScope

    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    recorded: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        recorded.append((statement, parameters))

    scope = KpiScope(start=start, end=end)
    print("# KPI sections in process (year), then EXPLAIN (ANALYZE, BUFFERS) per statement")
    try:
        for name, compute in _sections():
            recorded.clear()
            event.listen(engine, "before_cursor_execute", record)
            began = time.perf_counter()
            try:
                with session_scope(make_sessionmaker(engine)) as session:
                    compute(session, scope)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            elapsed = (time.perf_counter() - began) * 1000
            print(figure(f"{name}.compute", f"{elapsed:.0f} ms, {len(recorded)} statements", WIDTH))
            statements = list(recorded)
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                assert raw is not None
                # One transaction per section, as the section ran: a ``SET LOCAL`` it issued
                # (change-caused turns JIT off) is replayed, not explained, and holds for the
                # statements after it.
                for n, (statement, parameters) in enumerate(statements, start=1):
                    cursor = raw.cursor()
                    first = " ".join(statement.split())[:110]
                    if statement.lstrip().upper().startswith("SET "):
                        cursor.execute(statement, parameters)
                        print(f"  {name}#{n}: setting, replayed: {first}")
                        continue
                    cursor.execute(
                        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
                    )
                    row = cursor.fetchone()
                    assert row is not None
                    plan = row[0][0]
                    print(f"  {name}#{n}: {summarize(plan)}")
                    print(f"    sql: {first}…")
                raw.rollback()
    finally:
        engine.dispose()


def print_materialization(url: str) -> None:
    """The indexes on the tables the KPIs read, and the rollup tables' row counts and sizes."""
    with psycopg.connect(url, autocommit=True) as conn:
        print("# indexes on the tables the KPIs read")
        rows = conn.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE tablename = ANY(%s) ORDER BY tablename, indexname",
            (list(TABLES),),
        ).fetchall()
        for table, index, definition in rows:
            columns = definition.split(" USING ", 1)[-1]
            print(f"  {table}: {index} {columns}")
        print("# materialization (the KPI caches the engine keeps current)")
        for table, sql in (
            (
                "kpi_incident_rollups",
                "SELECT count(*), pg_size_pretty(pg_total_relation_size('kpi_incident_rollups'))"
                " FROM kpi_incident_rollups",
            ),
            (
                "kpi_alert_name_counts",
                "SELECT count(*), pg_size_pretty(pg_total_relation_size('kpi_alert_name_counts'))"
                " FROM kpi_alert_name_counts",
            ),
        ):
            found = conn.execute(sql).fetchone()
            if found:
                print(figure(f"  {table}", f"{found[0]} rows, {found[1]}", WIDTH))
