"""The engine's handoff step: draft the shift handoffs that are due, send those whose time came.

Drafting looks at every schedule's rotation, so it runs at most every ``every`` seconds (a
handoff is drafted up to an hour ahead; a few seconds late changes nothing). Sending is one
indexed query (``ix_oncall_handoffs_due``) and runs every cycle, so "send now" goes out at the
engine's next cycle. Each handoff is sent in a transaction of its own: one failing send does not
hold back the others, and two engines contend on one row at a time (see
``oncall.handoff_sending`` for why it goes out once). Returns the handoffs sent, so a cycle that
sent some is not counted as idle.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.engine.handoff_extras import HandoffExtras
from plantao.oncall import handoff_generation, handoff_sending, handoff_settings

EVERY_SECONDS = 30.0


class HandoffStep:
    before_jobs = False

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self.every = every
        self._next = 0.0
        self._extras = HandoffExtras()

    def _generate(self, session: Session) -> int:
        settings = handoff_settings.load(session)
        return handoff_generation.generate_due(session, clock.now(), settings, self._extras)

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int:
        if time.monotonic() >= self._next:
            run_transaction(factory, self._generate)
            self._next = time.monotonic() + self.every
        ids = run_transaction(factory, lambda s: handoff_sending.due(s, clock.now()))
        return sum(1 for handoff_id in ids if run_transaction(factory, self._sender(handoff_id)))

    def _sender(self, handoff_id: int) -> Callable[[Session], bool]:
        def send(session: Session) -> bool:
            return handoff_sending.send_one(session, handoff_id, clock.now(), self._extras)

        return send
