"""Time arithmetic done by the database: seconds between two moments and the ISO week number.

Why in SQL: a year of KPIs is ~50,000 incidents; turning five timestamps per incident into
aware Python datetimes (and subtracting them) cost over a second per section on the benchmark,
while the database returns the same answer as one float. Each database spells it differently
(PostgreSQL ``EXTRACT(EPOCH ...)``, SQLite ``julianday``), so the two expressions are compiled
per dialect here and nowhere else.

SQLite's ``julianday`` is a double of ~2.46 million days, exact to about 40 µs (and SQLite
reads timestamps to the millisecond), so SQLite's durations are rounded to the millisecond in
SQL: ``180.0`` and not ``179.99998``, the same as PostgreSQL's exact interval arithmetic.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

#: Monday 1970-01-05 00:00 UTC, the first ISO week start after the epoch (4 days in).
_MONDAY = date(1970, 1, 5)
_MONDAY_EPOCH = 4 * 86400
_WEEK = 7 * 86400


class seconds_between(FunctionElement[float]):  # noqa: N801 (an SQL function, spelt like one)
    """``end - start`` in seconds (NULL when either is NULL); ``seconds_between(start, end)``."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


class week_number(FunctionElement[int]):  # noqa: N801
    """Whole ISO weeks (Monday 00:00 UTC) since 1970-01-05; :func:`week_of` turns it into a date."""

    type = Integer()
    inherit_cache = True
    name = "week_number"


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(week_number)
def _week_sqlite(element: week_number, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(c, **kw) for c in element.clauses)
    # julianday of 1970-01-05 is 2440591.5; CAST truncates, exact for moments after 1970
    return f"CAST((julianday({moment}) - 2440591.5) / 7 AS INTEGER)"


@compiles(week_number, "postgresql")
def _week_postgres(element: week_number, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM {moment}) - {_MONDAY_EPOCH}) / {_WEEK}) AS INTEGER)"


def seconds(value: float | None) -> float | None:
    """A duration read from :class:`seconds_between`; negative spans (a sender whose clock runs
    ahead) count as 0."""
    return value if value is None or value >= 0 else 0.0


@lru_cache(maxsize=4096)
def week_of(number: int) -> date:
    """The Monday of the ISO week :class:`week_number` returned."""
    return _MONDAY + timedelta(weeks=number)


def week_number_of(day: date) -> int:
    """The :class:`week_number` of the ISO week ``day`` falls in (inverse of :func:`week_of`)."""
    return (day - _MONDAY).days // 7


class utc_date(FunctionElement[str]):  # noqa: N801
    """The UTC calendar date of a timestamp column, comparable with a ``Date`` column."""

    inherit_cache = True
    name = "utc_date"


@compiles(utc_date)
def _date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"date({moment})"  # stored as naive UTC text; Date columns are 'YYYY-MM-DD' text


@compiles(utc_date, "postgresql")
def _date_postgres(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(({moment} AT TIME ZONE 'UTC') AS DATE)"


class shifted(FunctionElement[Any]):  # noqa: N801
    """A timestamp column moved by a constant number of seconds: ``shifted(col, -3600)``.

    On SQLite the result is text to the millisecond (``YYYY-MM-DD HH:MM:SS.SSS``), which
    compares with stored timestamps (``...SS.ffffff``) correctly to the millisecond.
    """

    inherit_cache = True
    name = "shifted"


@compiles(shifted)
def _shifted_sqlite(element: shifted, compiler: SQLCompiler, **kw: Any) -> str:
    moment, by = element.clauses
    amount = int(by.value)
    column = compiler.process(moment, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f', {column}, '{amount:+d} seconds')"


@compiles(shifted, "postgresql")
def _shifted_postgres(element: shifted, compiler: SQLCompiler, **kw: Any) -> str:
    moment, by = element.clauses
    amount = int(by.value)
    return f"({compiler.process(moment, **kw)} + INTERVAL '{amount} seconds')"
