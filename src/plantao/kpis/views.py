"""The KPI API: ``GET /api/v1/kpis`` (the sections and their tables), ``/api/v1/kpis/response``
(issue 14's fixed body) and ``/api/v1/kpis/{section}`` (any section as JSON or one table as CSV).

Everyone who may read may ask (a read token): KPIs are aggregates, and the tables name
incidents only by id, never by title, so private incidents count without showing. Bad dates,
a reversed or too long period or an unknown severity are a 422 (``kpis.scope``); an unknown
section or table a 404. Nothing here computes a figure: ``kpis.sections`` does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.kpis import export, response, sections
from plantao.kpis.scope import KpiScope, scope_from_query

router = APIRouter(prefix="/api/v1/kpis", tags=["kpis"], responses=problem_responses())

From = Annotated[
    str | None,
    Query(
        alias="from",
        max_length=40,
        description="start (ISO 8601, UTC when no offset); omitted: 30 days before `to`",
    ),
]
To = Annotated[
    str | None, Query(max_length=40, description="end, exclusive (ISO 8601); omitted: now")
]
ServiceQ = Annotated[str | None, Query(max_length=64, description="service slug")]
TeamQ = Annotated[str | None, Query(max_length=64, description="team slug (its services)")]
SeverityQ = Annotated[str | None, Query(max_length=8, description="sev1, sev2, sev3 or sev4")]
FormatQ = Annotated[
    Literal["json", "csv"] | None,
    Query(alias="format", description="json (default) or csv (also `Accept: text/csv`)"),
]
TableQ = Annotated[
    str | None, Query(max_length=64, description="the CSV table; omitted: the section's first")
]
CSV_TYPE = "text/csv; charset=utf-8"
_CSV_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


def scope_of(
    session: Session,
    start: str | None,
    end: str | None,
    service: str | None,
    team: str | None,
    severity: str | None,
) -> KpiScope:
    scope = scope_from_query(
        now=clock.now(), start=start, end=end, service=service, team=team, severity=severity
    )
    sections.check_filters(session, scope)
    return scope


def wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def csv_response(session: Session, name: str, scope: KpiScope, table: str | None) -> Response:
    """One table of a section as a CSV attachment."""
    chosen = export.pick_table(sections.compute(session, name, scope), table)
    return Response(
        export.as_csv(chosen),
        media_type=CSV_TYPE,
        headers={
            "Content-Disposition": (
                f'attachment; filename="{export.filename(chosen, scope, "csv")}"'
            )
        },
    )


@router.get("", response_model=dict[str, Any])
def index(session: SessionDep, who: Viewer) -> dict[str, Any]:
    """The KPI sections in page order, each with its tables and the links that fetch it:
    ``?format=json`` (every table as JSON) and ``?format=csv&table=<name>`` (one as CSV).
    Every route takes ``from``/``to`` (ISO 8601; default the last 30 days) and the
    ``service``, ``team`` and ``severity`` filters."""
    now = clock.now()
    probe = KpiScope(start=now - timedelta(seconds=1), end=now)  # table names, no data
    out = []
    for section in sections.report(session, probe):
        out.append(
            {
                "name": section.name,
                "href": f"/api/v1/kpis/{section.name}",
                "json": f"/api/v1/kpis/{section.name}?format=json",
                "tables": [
                    {
                        "name": t.name,
                        "columns": list(t.columns),
                        "csv": f"/api/v1/kpis/{section.name}?format=csv&table={t.name}",
                    }
                    for t in section.tables
                ],
            }
        )
    return {"sections": out}


@router.get("/response", response_model=dict[str, Any], responses=_CSV_DOC)
def response_times(
    request: Request,
    session: SessionDep,
    who: Viewer,
    start: From = None,
    to: To = None,
    service: ServiceQ = None,
    team: TeamQ = None,
    severity: SeverityQ = None,
    fmt: FormatQ = None,
    table: TableQ = None,
) -> Any:
    """Response times per severity (always sev1..sev4): ``incidents``, MTTA/MTTR (and MTTD,
    time to mitigate) p50 and p90 in seconds, the severity matrix's target and the share of
    incidents that met it; ``weekly`` medians. With ``format=csv`` one table as CSV, with
    ``format=json`` the generic section shape of ``/api/v1/kpis/{section}``."""
    scope = scope_of(session, start, to, service, team, severity)
    if wants_csv(request, fmt):
        return csv_response(session, "response", scope, table)
    if fmt == "json":
        return export.as_json(sections.compute(session, "response", scope), scope)
    return response.compute(session, scope).as_api()


@router.get("/{section}", response_model=dict[str, Any], responses=_CSV_DOC)
def section_figures(
    request: Request,
    session: SessionDep,
    who: Viewer,
    section: str,
    start: From = None,
    to: To = None,
    service: ServiceQ = None,
    team: TeamQ = None,
    severity: SeverityQ = None,
    fmt: FormatQ = None,
    table: TableQ = None,
) -> Any:
    """One section: ``{"section", "scope", "headline", "tables": {name: [records]},
    "trends": [{"week", "series", "value", "count"}]}``; with ``format=csv`` (or
    ``Accept: text/csv``) the table named by ``table`` (default the first) as a CSV
    attachment. Sections: see ``GET /api/v1/kpis``."""
    scope = scope_of(session, start, to, service, team, severity)
    if wants_csv(request, fmt):
        return csv_response(session, section, scope, table)
    return export.as_json(sections.compute(session, section, scope), scope)
