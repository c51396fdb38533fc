"""Which incidents a KPI scope covers, written once so every KPI section counts the same ones.

Why one function: response times, counts, change-caused share, runbook coverage, adherence,
alert noise and the Prometheus figures all start from "the incidents triggered in the period,
of this service / team / severity". If each section rebuilt that filter, a team filter (which
goes through the service's team) would drift between sections and the page would contradict
itself. Callers add the columns and joins they need to the returned ``Select``; it already
joins ``services`` (for the service and team filters) so they need not join it again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.sql.elements import ColumnElement

from plantao.catalog.models import Service
from plantao.incidents.models import Incident
from plantao.kpis.scope import KpiScope
from plantao.people.models import Team


def scope_filters(scope: KpiScope) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the scope, for a query that already joins ``services``."""
    conditions: list[ColumnElement[bool]] = [
        Incident.triggered_at >= scope.start,
        Incident.triggered_at < scope.end,
    ]
    if scope.service:
        conditions.append(Service.slug == scope.service)
    if scope.team:
        team_ids = select(Team.id).where(Team.slug == scope.team).scalar_subquery()
        conditions.append(Service.team_id == team_ids)
    if scope.severity:
        conditions.append(Incident.severity == scope.severity)
    return conditions


def scoped(scope: KpiScope, *columns: Any) -> Select[Any]:
    """``SELECT columns`` over the scope's incidents (default: ``incidents.id``).

    The query joins ``services`` on the incident's service; add ``.join``/``.outerjoin``,
    ``.group_by`` or more ``.where`` clauses as the section needs.
    """
    wanted = columns or (Incident.id,)
    return (
        select(*wanted)
        .select_from(Incident)
        .join(Service, Service.id == Incident.service_id)
        .where(*scope_filters(scope))
    )


def incident_ids(scope: KpiScope) -> Select[Any]:
    """The scope's incident ids, for ``Column.in_(...)`` in queries on other tables."""
    return scoped(scope, Incident.id)


def attribute_filters(
    scope: KpiScope, *, service_id: Any, severity: Any
) -> list[ColumnElement[bool]]:
    """The scope's service / team / severity filters on other rows (not the period).

    For figures not selected by an incident's trigger time — corrective actions due in the
    period, for instance — which carry their own ``service_id`` and ``severity`` columns.
    """
    conditions: list[ColumnElement[bool]] = []
    if scope.service:
        conditions.append(
            service_id == select(Service.id).where(Service.slug == scope.service).scalar_subquery()
        )
    if scope.team:
        team_services = select(Service.id).join(Team, Team.id == Service.team_id)
        conditions.append(service_id.in_(team_services.where(Team.slug == scope.team)))
    if scope.severity:
        conditions.append(severity == scope.severity)
    return conditions
