"""Keeps the KPI alert rollups current (``kpis/rollups.py``) from the engine loop.

Why a periodic step and not a reaction per alert: alerts arrive in storms of thousands and the
KPIs need minutes-fresh figures, not millisecond-fresh ones. Every :data:`EVERY_SECONDS` the
step refreshes stale rollups, a batch per transaction, for at most :data:`BUDGET_SECONDS`
(what is left waits for the next round: after an upgrade the first pass over a year of
incidents takes several rounds). The work is not reported to the loop, so the loop still idles.
"""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.kpis import rollups

EVERY_SECONDS = 30.0
BUDGET_SECONDS = 2.0


class KpiRollupStep:
    before_jobs = False

    def __init__(self, every: float = EVERY_SECONDS, budget: float = BUDGET_SECONDS) -> None:
        self.every = every
        self.budget = budget
        self._next = 0.0

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int:
        started = time.monotonic()
        if started < self._next:
            return 0
        self._next = started + self.every
        while time.monotonic() - started < self.budget:
            if run_transaction(factory, rollups.refresh_batch) < rollups.BATCH:
                break
        return 0
