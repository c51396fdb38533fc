"""What the engine loop runs: job handlers (one per job kind) and steps (set-based, once a cycle).

Kept apart from the loop (``runner.py``) and the registry (``handlers.py``) so that both import
these types and neither imports the other's module for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from plantao.jobs.service import Claimed

#: Runs one claimed job in transactions of its own; raises ``runner.Retry`` to try again later.
Handler = Callable[[sessionmaker[Session], Claimed], None]


class Step(Protocol):
    """A set-based step run once per engine cycle besides jobs; returns the rows it handled.

    ``before_jobs`` steps (the inbox, the reactions) run before the urgent jobs, in the order
    the registry lists them; the others after. A step may own resources (threads, clients)
    released by an optional ``close()``.
    """

    before_jobs: bool

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int: ...
