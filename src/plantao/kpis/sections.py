"""The KPI sections in page order: name → ``compute(session, scope)``, read by the API, the
web page, the CSV/JSON export and the Prometheus metrics.

Why one registry: four readers show the same figures; if each kept its own list, a section
added for the page would be missing from the export or the metrics. A section module exposes
``compute(session, scope)`` returning a result whose ``section()`` is a ``kpis.shapes.Section``;
this module only lists them and never computes a figure itself.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.db import make_sessionmaker, session_scope
from plantao.errors import NotFound, ValidationFailed
from plantao.kpis import (
    adherence,
    change_caused,
    incident_counts,
    noise,
    oncall_load,
    response,
    response_distribution,
    routine_completion,
    runbook_coverage,
    update_punctuality,
)
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import Section
from plantao.people.models import Team


class HasSection(Protocol):
    """What a section module's ``compute`` returns."""

    def section(self) -> Section: ...


Compute = Callable[[Session, KpiScope], HasSection]

#: Page order: how fast we respond, what happened, why, how we learn, what it costs people.
SECTIONS: dict[str, Compute] = {
    "response": response.compute,
    "response_distribution": response_distribution.compute,
    "incidents": incident_counts.compute,
    "change_caused": change_caused.compute,
    "runbooks": runbook_coverage.compute,
    "adherence": adherence.compute,
    "noise": noise.compute,
    "oncall_load": oncall_load.compute,
    "update_punctuality": update_punctuality.compute,
    "routines": routine_completion.compute,
}


def check_filters(session: Session, scope: KpiScope) -> None:
    """A service or team that does not exist is a 422, not a report of zeros: a typo must not
    read as "no incidents"."""
    if (
        scope.service
        and session.scalar(select(Service.id).where(Service.slug == scope.service)) is None
    ):
        raise ValidationFailed(
            f"unknown service {scope.service!r}",
            errors=[{"field": "service", "message": "no service has this slug"}],
        )
    if scope.team and session.scalar(select(Team.id).where(Team.slug == scope.team)) is None:
        raise ValidationFailed(
            f"unknown team {scope.team!r}",
            errors=[{"field": "team", "message": "no team has this slug"}],
        )


def names() -> tuple[str, ...]:
    return tuple(SECTIONS)


def compute(session: Session, name: str, scope: KpiScope) -> Section:
    """One section of ``scope``; an unknown name is a 404 that lists the known ones."""
    try:
        fn = SECTIONS[name]
    except KeyError:
        raise NotFound(f"no KPI section {name!r}; known: {', '.join(SECTIONS)}") from None
    return fn(session, scope).section()


#: Threads that compute a page's sections side by side on PostgreSQL. Why threads: most of a
#: section's time is its database statements (grouped scans, ``percentile_cont``), during which
#: Python releases the GIL, so a year's page costs about its slowest sections rather than their
#: sum. Shared by every request, so concurrent page views never hold more than this many
#: extra connections (the pool has 10 plus 10 overflow per process).
PARALLEL_SECTIONS = 4
_pool = ThreadPoolExecutor(max_workers=PARALLEL_SECTIONS, thread_name_prefix="kpi-section")
#: The order the threads start the sections: the slowest on a year of history first (measured by
#: ``benchmarks/kpi_page.py``), so the short ones fill the gaps instead of starting last.
_SLOW = ("response", "noise", "update_punctuality", "change_caused", "oncall_load")
_SLOWEST_FIRST = (
    *(name for name in _SLOW if name in SECTIONS),
    *(name for name in SECTIONS if name not in _SLOW),
)


def report(session: Session, scope: KpiScope) -> tuple[Section, ...]:
    """Every section of ``scope``, in page order.

    On PostgreSQL each section runs in its own read transaction on a worker thread, so the
    sections may see snapshots a few milliseconds apart; the figures are already as old as the
    rollups the engine refreshes every 30 seconds, so nothing a reader can notice changes. SQLite
    (one file, the embedded default for small installations) computes them one after another
    in the caller's session.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return tuple(fn(session, scope).section() for fn in SECTIONS.values())
    factory = make_sessionmaker(bind.engine)

    def one(fn: Compute) -> Section:
        with session_scope(factory) as own:
            return fn(own, scope).section()

    futures = {name: _pool.submit(one, SECTIONS[name]) for name in _SLOWEST_FIRST}
    return tuple(futures[name].result() for name in SECTIONS)
