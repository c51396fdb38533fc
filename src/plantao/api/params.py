"""Bounded id parameters shared by every router, so an id is validated once, at the edge.

Why: a path or query id beyond the database's integer range reached the driver and came back
as a 500 (SQLite: ``OverflowError``; PostgreSQL: ``integer out of range``), and ``str.isdigit``
took Unicode digits such as ``'³'`` for numbers. Declaring ids with these types makes FastAPI
answer 422 (problem+json, naming the parameter) before any handler runs, and documents the bounds
in the OpenAPI document so clients and fuzzers see them.

Row ids are PostgreSQL ``integer`` (serial) columns: 1 to 2**31 - 1. The intake inbox uses
``bigint`` (:data:`BigId`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

#: Largest value of a PostgreSQL ``integer`` column (every serial id but the inbox's).
MAX_ID = 2**31 - 1
#: Largest value of a PostgreSQL ``bigint`` column (and of a SQLite INTEGER).
MAX_BIG_ID = 2**63 - 1

Id = Annotated[int, Path(ge=1, le=MAX_ID, description="a row id (1 to 2147483647)")]
BigId = Annotated[int, Path(ge=1, le=MAX_BIG_ID, description="a row id (1 to 2**63 - 1)")]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a row id (1 to 2147483647)")]
