"""The whole KPI report equals its sections computed one by one, on both databases (on
PostgreSQL the report computes them side by side, each in its own transaction)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import session_scope
from plantao.kpis import sections
from plantao.kpis.scope import KpiScope
from tests.factories.kpi_history import apply_history_config
from tests.integration.test_kpis_learning import END, START, script


@pytest.mark.usefixtures("frozen")
def test_report_matches_each_section_computed_alone(factory: sessionmaker[Session]) -> None:
    """Every section of the report, in page order, holds the figures of its own computation."""
    apply_history_config(factory)
    script(factory)
    scope = KpiScope(start=START, end=END)
    with session_scope(factory) as session:
        whole = sections.report(session, scope)
        alone = tuple(sections.compute(session, name, scope) for name in sections.names())
    assert [s.name for s in whole] == list(sections.names())
    assert whole == alone
    counts = next(s for s in whole if s.name == "incidents")
    assert any(table.rows for table in counts.tables), "the scripted incidents are counted"
