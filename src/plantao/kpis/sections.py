"""The KPI sections in page order: name → ``compute(session, scope)``, read by the API, the
web page, the CSV/JSON export and the Prometheus metrics.

Why one registry: four readers show the same figures; if each kept its own list, a section
added for the page would be missing from the export or the metrics. A section module exposes
``compute(session, scope)`` returning a result whose ``section()`` is a ``kpis.shapes.Section``;
this module only lists them and never computes a figure itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
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


def report(session: Session, scope: KpiScope) -> tuple[Section, ...]:
    """Every section of ``scope``, in page order."""
    return tuple(fn(session, scope).section() for fn in SECTIONS.values())
