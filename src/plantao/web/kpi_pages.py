"""The KPI page (``/kpis``) and its downloads (``/kpis/export/<section>.csv|.json``).

Everyone signed in who may read sees it. The filter is a plain GET form (period presets of
7/30/90/365 days or a from/to date pair, service, team, severity), so a filtered page is a
link people can share and nothing needs JavaScript; tables sort by header links the same way.
The figures come from ``kpis.sections`` (the API reads the same registry) and the downloads
from ``kpis.export`` (the API's CSV bytes). A bad date or severity re-renders the page with
the error and what was typed (422), without figures.

A ``to`` date without a time means "through that day": the page asks for the period up to the
next midnight UTC, which is what a person picking 2026-11-30 in a date field expects.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.catalog.models import Service
from plantao.errors import ValidationFailed
from plantao.kpis import export, sections
from plantao.kpis.scope import SEVERITIES, KpiScope, scope_from_query
from plantao.people.models import Team
from plantao.web import admin_common, kpi_view, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

PRESETS = (7, 30, 90, 365)
_TYPED_MAX = 64


def _typed(value: str | None) -> str:
    return (value or "").strip()[:_TYPED_MAX]


def _through(day: str) -> str:
    """A date-only ``to`` as the next midnight (the day is included); other text unchanged
    (``scope_from_query`` judges it)."""
    try:
        return (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    except ValueError:
        return day


def page_scope(days: str, start: str, end: str, service: str, team: str, severity: str) -> KpiScope:
    """The scope a filter form asks for: from/to when given, else the preset (default 30)."""
    now = clock.now()
    if not start and not end:
        n = int(days) if days.isdigit() and int(days) in PRESETS else 30
        start = (now - timedelta(days=n)).isoformat()
    return scope_from_query(
        now=now,
        start=start or None,
        end=_through(end) if len(end) == 10 else end or None,
        service=service or None,
        team=team or None,
        severity=severity or None,
    )


def _choices(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    services = session.execute(select(Service.slug, Service.name).order_by(Service.name)).all()
    teams = session.execute(select(Team.slug, Team.name).order_by(Team.name)).all()
    return [(s, n) for s, n in services], [(s, n) for s, n in teams]


@router.get("/kpis", response_class=HTMLResponse, response_model=None)
def kpi_page(
    request: Request,
    session: SessionDep,
    days: str | None = None,
    to: str | None = None,
    service: str | None = None,
    team: str | None = None,
    severity: str | None = None,
    sort: str | None = None,
    dir: str | None = None,
) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    start = request.query_params.get("from")  # a Python keyword: read by its public name
    typed = {
        "days": _typed(days),
        "from": _typed(start),
        "to": _typed(to),
        "service": _typed(service),
        "team": _typed(team),
        "severity": _typed(severity).lower(),
    }
    services, teams = _choices(session)
    context = {
        "typed": typed,
        "presets": PRESETS,
        "services": services,
        "teams": teams,
        "severities": SEVERITIES,
    }
    try:
        scope = page_scope(
            typed["days"],
            typed["from"],
            typed["to"],
            typed["service"],
            typed["team"],
            typed["severity"],
        )
        sections.check_filters(session, scope)
    except ValidationFailed as exc:
        return _render(request, principal, 422, error=str(exc), views=[], scope=None, **context)
    query = urlencode(scope.query())
    texts = TEXTS[rendering.lang(request)]
    views = kpi_view.page_views(
        sections.report(session, scope), texts, query, kpi_view.parse_sort(sort, dir)
    )
    return _render(request, principal, 200, error=None, views=views, scope=scope, **context)


def _render(request: Request, principal: Principal, status: int, **context: object) -> HTMLResponse:
    return admin_common.page(request, "kpis/page.html", principal, status_code=status, **context)


def _export_scope(request: Request, session: Session) -> KpiScope:
    q = request.query_params
    scope = scope_from_query(
        now=clock.now(),
        start=q.get("from"),
        end=q.get("to"),
        service=q.get("service"),
        team=q.get("team"),
        severity=q.get("severity"),
    )
    sections.check_filters(session, scope)
    return scope


@router.get("/kpis/export/{section}.csv", response_model=None)
def kpi_csv(request: Request, session: SessionDep, section: str) -> Response:
    """One table of a section as a CSV attachment (the same bytes as the API's)."""
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    scope = _export_scope(request, session)
    table = export.pick_table(
        sections.compute(session, section, scope), request.query_params.get("table")
    )
    return Response(
        export.as_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(table, scope, "csv")}"'
        },
    )


@router.get("/kpis/export/{section}.json", response_model=None)
def kpi_json(request: Request, session: SessionDep, section: str) -> Response:
    """Every table of a section as JSON (the API's ``?format=json`` body), as a download."""
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    scope = _export_scope(request, session)
    found = sections.compute(session, section, scope)
    name = f"{found.name}_{scope.start.date().isoformat()}_{scope.end.date().isoformat()}.json"
    return JSONResponse(
        export.as_json(found, scope),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
