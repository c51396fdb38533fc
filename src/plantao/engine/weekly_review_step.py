"""Makes sure the weekly operational review's recurring job exists once an engine runs.

The job re-enqueues itself after each run (``postmortems.weekly_schedule``); this step is the
safety net for a database that never had one (a new installation, an upgrade) or lost it (a
run that died for good): on an engine's first cycle, then once an hour, it calls
``ensure_job``, which adds the job only when none is pending. It reports no work done, so it
never keeps the loop from idling.
"""

from __future__ import annotations

import time

from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.postmortems import weekly_schedule

EVERY_SECONDS = 3600.0


class WeeklyReviewStep:
    before_jobs = False

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self.every = every
        self._next = 0.0

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int:
        if time.monotonic() < self._next:
            return 0
        run_transaction(factory, weekly_schedule.ensure_job)
        self._next = time.monotonic() + self.every
        return 0
