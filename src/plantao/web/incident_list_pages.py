"""The incident list: what is burning, most urgent first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plantao.api import incident_presenter as presenter
from plantao.api.deps import SessionDep
from plantao.incidents import service as incident_service
from plantao.web import rendering

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, response_model=None)
def incidents_page(
    request: Request,
    session: SessionDep,
    status: str = "open",
    severity: str = "",
    cursor: str | None = None,
) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    page = incident_service.list_incidents(
        session,
        statuses=[status] if status else [],
        severities=[severity] if severity else [],
        cursor=cursor,
        limit=50,
    )
    return rendering.render(
        request,
        "incidents.html",
        principal,
        incidents=presenter.summaries(session, page.items),
        next_cursor=page.next_cursor,
        status=status,
        severity=severity,
    )
