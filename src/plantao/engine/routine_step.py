"""Creates the tasks of recurring operational routines as they fall due, and reminds once.

Why a step on a short timer and not one job per occurrence: a routine's next instant changes
whenever ``plantao apply`` changes its rule, and a job enqueued for the old instant would have
to be found and moved; a step that asks "is the latest occurrence's task there?" every
``EVERY_SECONDS`` needs no bookkeeping and is exact to within that interval. Creation and
reminders are each one transaction; the unique ``(routine_id, due_at)`` keeps two engines from
creating a task twice (see :mod:`plantao.oncall.routines`).
"""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.oncall import routines

EVERY_SECONDS = 30.0


class RoutineStep:
    before_jobs = False

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self.every = every
        self._next = 0.0

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int:
        if time.monotonic() < self._next:
            return 0
        self._next = time.monotonic() + self.every
        created = run_transaction(factory, routines.create_due_tasks)
        reminded = run_transaction(factory, routines.remind_overdue)
        return created + reminded
