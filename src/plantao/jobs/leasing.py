"""Leases with fencing tokens, shared by every table that is a queue (jobs, the outbox).

A leased row belongs to one worker until ``lease_until``. (``locked_by``, ``attempts``) is the
fencing token: leasing sets the worker and adds one to ``attempts``, and every write that ends
or renews the lease is an UPDATE whose WHERE names that token (:func:`fenced`), so a worker
presumed dead that comes back after another worker re-leased its row changes nothing.

A row is due when it waits (one of the table's waiting states) and its due time has passed, or
when it is leased and the lease expired (its worker died). On PostgreSQL due rows are picked
``FOR UPDATE SKIP LOCKED``, so concurrent engines pick disjoint rows and never wait on each
other; SQLite runs one engine. What else a table checks when it leases (the kinds an engine
lane runs, delivery throttles, pages made stale by an acknowledgement) stays in its own module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from plantao.db import is_postgres

__all__ = ["Fence", "LeasedTable", "fenced", "for_update", "lease_ids", "lease_row", "pick"]

_S = TypeVar("_S", bound=Select[Any])


class Fence(Protocol):
    """What a worker holds for one leased row: the row and the fencing token it leased it with."""

    @property
    def id(self) -> int: ...
    @property
    def attempt(self) -> int: ...
    @property
    def worker(self) -> str: ...


@dataclass(frozen=True)
class LeasedTable:
    """The lease columns of one queue table and the states its rows move through."""

    model: type[Any]
    id: InstrumentedAttribute[int]
    state: InstrumentedAttribute[str]
    due_at: InstrumentedAttribute[datetime]
    lease_until: InstrumentedAttribute[datetime | None]
    locked_by: InstrumentedAttribute[str | None]
    attempts: InstrumentedAttribute[int]
    waiting: tuple[str, ...]  # states whose rows are leased once ``due_at`` has passed
    leased: str  # the state of a leased row

    def due(self, now: datetime) -> ColumnElement[bool]:
        """Waiting rows whose time has come, and leased rows whose lease expired."""
        return or_(
            and_(self.state.in_(self.waiting), self.due_at <= now),
            and_(self.state == self.leased, self.lease_until < now),
        )


def for_update(session: Session, stmt: _S, *, skip_locked: bool) -> _S:
    """``stmt`` locking the rows it reads on PostgreSQL; SQLite runs one writer and one engine."""
    if is_postgres(session):
        return stmt.with_for_update(skip_locked=skip_locked)
    return stmt


def pick(
    session: Session,
    table: LeasedTable,
    what: Any,
    *,
    now: datetime,
    limit: int,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Any]:
    """``what`` (a column or the model) of up to ``limit`` due rows, oldest due first, that
    match ``where``; locked with SKIP LOCKED on PostgreSQL until the transaction ends."""
    stmt = select(what).where(table.due(now), *where).order_by(table.due_at, table.id).limit(limit)
    return list(session.scalars(for_update(session, stmt, skip_locked=True)))


def lease_ids(
    session: Session, table: LeasedTable, ids: Sequence[int], worker: str, until: datetime
) -> None:
    """Lease the picked rows ``ids`` to ``worker`` in one UPDATE (a new attempt each)."""
    session.execute(
        update(table.model)
        .where(table.id.in_(ids))
        .values(
            {
                table.state: table.leased,
                table.lease_until: until,
                table.locked_by: worker,
                table.attempts: table.attempts + 1,
            }
        )
    )


def lease_row(table: LeasedTable, row: Any, worker: str, until: datetime) -> int:
    """Lease one picked ORM ``row`` to ``worker`` (written at the next flush); returns its
    attempt, the fencing token's second half."""
    setattr(row, table.state.key, table.leased)
    setattr(row, table.locked_by.key, worker)
    attempt = int(getattr(row, table.attempts.key)) + 1
    setattr(row, table.attempts.key, attempt)
    setattr(row, table.lease_until.key, until)
    return attempt


def fenced(table: LeasedTable, fence: Fence) -> ColumnElement[bool]:
    """The WHERE clause of a write that ends or renews ``fence``'s lease: it matches only while
    the row is still leased to the same worker at the same attempt."""
    return and_(
        table.id == fence.id,
        table.state == table.leased,
        table.locked_by == fence.worker,
        table.attempts == fence.attempt,
    )
