"""The ``alertname`` label of an alert as one SQL expression, written the same way in the
``ix_alerts_alertname`` index (migration 0017) and in the queries that should use it.

A database uses an expression index only for a query that writes the very same expression, and
SQLAlchemy's JSON operators render the JSON path as a bound parameter (SQLite cannot match
``json_extract(labels, ?)`` to an index). This construct renders the path inline, per dialect:
``labels ->> 'alertname'`` on PostgreSQL (JSONB), ``json_extract(labels, '$.alertname')`` on
SQLite. Similar past incidents finds a probe's alert family through it
(``plantao.postmortems.similar_incidents``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ColumnElement

INDEX_NAME = "ix_alerts_alertname"


class Alertname(ColumnElement[str]):
    """``alerts.labels``' ``alertname`` value (text, NULL without one)."""

    inherit_cache = True
    type = String()


@compiles(Alertname, "postgresql")
def _postgresql(element: Alertname, compiler: SQLCompiler, **kw: Any) -> str:
    return "(labels ->> 'alertname')"


@compiles(Alertname)
def _sqlite(element: Alertname, compiler: SQLCompiler, **kw: Any) -> str:
    return "json_extract(labels, '$.alertname')"
