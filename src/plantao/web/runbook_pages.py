"""The runbook library's pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.runbooks import library_access as runbook_library
from plantao.runbooks import render as runbook_render
from plantao.web import rendering

router = APIRouter(include_in_schema=False)


@router.get("/runbooks", response_class=HTMLResponse, response_model=None)
def runbooks_page(request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    settings = request.app.state.settings
    lib = runbook_library.library(settings)
    lang = rendering.lang(request)
    today = clock.now().date()
    items = [
        runbook_render.summary(
            runbook_library.get_runbook(lib, rid, lang), runbook_library.languages(lib, rid), today
        )
        for rid in lib.ids()
    ]
    return rendering.render(request, "runbooks.html", principal, runbooks=items)


@router.get("/runbooks/{rid}", response_class=HTMLResponse, response_model=None)
def runbook_page(rid: str, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    lib = runbook_library.library(request.app.state.settings)
    wanted = request.query_params.get("lang") or rendering.lang(request)
    rb = runbook_library.get_runbook(lib, rid, wanted)
    detail = runbook_render.detail(rb, runbook_library.languages(lib, rb.id), clock.now().date())
    return rendering.render(request, "runbook.html", principal, rb=detail)
