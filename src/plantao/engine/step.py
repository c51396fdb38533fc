"""What the engine loop runs: job kinds (a handler each) and steps (set-based, once a cycle).

Kept apart from the loop (``runner.py``) and the registry (``handlers.py``) so that both import
these types and neither imports the other's module for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from plantao.jobs.service import Claimed

#: Runs one claimed job in transactions of its own; raises ``runner.Retry`` to try again later.
Handler = Callable[[sessionmaker[Session], Claimed], None]


@dataclass(frozen=True)
class JobKind:
    """One kind of job the engine runs: its name (a constant of the domain that enqueues it),
    its handler, and whether it is urgent.

    Urgent kinds (the timers that page people) are claimed in every cycle before any slower
    work; the others run in the slow lane, so linking runbooks for a storm never delays the
    next escalation step.
    """

    name: str
    handler: Handler
    urgent: bool = False


def by_name(*kinds: JobKind) -> dict[str, JobKind]:
    """The table an engine loop runs: ``kinds`` keyed by name; a name given twice is an error
    (two handlers for one kind would each take some of its jobs)."""
    table: dict[str, JobKind] = {}
    for kind in kinds:
        if kind.name in table:
            raise ValueError(f"job kind {kind.name!r} is registered twice")
        table[kind.name] = kind
    return table


class Step(Protocol):
    """A set-based step run once per engine cycle besides jobs; returns the rows it handled.

    ``before_jobs`` steps (the inbox, the reactions) run before the urgent jobs, in the order
    the registry lists them; the others after. A step may own resources (threads, clients)
    released by an optional ``close()``.
    """

    before_jobs: bool

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int: ...
