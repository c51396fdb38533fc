"""The postmortem pages: the list (overdue, due soon, in review, published, or filtered), one
postmortem (rendered text, state, due date, owner, reviews, blameless warnings and the forms
that move it on), its editor with a preview, its versions, a printable page and the Markdown
download. The forms are :mod:`plantao.web.postmortem_forms`.

Reading needs sight of the incident (a private incident's postmortem is "not found"); the editor
is refused (403) to whoever may not act on the incident.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.errors import NotFound, PermissionDenied
from plantao.postmortems import access, editing, exporting, reading
from plantao.postmortems.schemas import PostmortemSummary
from plantao.web import action_panel, rendering
from plantao.web.postmortem_view import page_context, rendered, when

router = APIRouter(include_in_schema=False)
STATUSES = ("draft", "in_review", "published")
#: Sections of the list when no filter is given (each capped: the filter shows the rest).
SECTION_ROWS = 50


def _sections(rows: list[PostmortemSummary]) -> list[tuple[str, list[PostmortemSummary]]]:
    overdue = [r for r in rows if r.overdue]
    due_soon = [r for r in rows if not r.overdue and r.status == "draft"]
    in_review = [r for r in rows if not r.overdue and r.status == "in_review"]
    published = sorted(
        (r for r in rows if r.status == "published"),
        key=lambda r: r.published_at or r.updated_at,
        reverse=True,
    )
    return [
        ("pm_overdue", overdue[:SECTION_ROWS]),
        ("pm_due_soon", due_soon[:SECTION_ROWS]),
        ("pm_in_review_list", in_review[:SECTION_ROWS]),
        ("pm_published_list", published[:SECTION_ROWS]),
    ]


@router.get("/postmortems", response_class=HTMLResponse, response_model=None)
def list_page(
    request: Request,
    session: SessionDep,
    status: Annotated[str, Query(max_length=16)] = "",
    overdue: Annotated[str, Query(max_length=8)] = "",
    owner: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    chosen = status if status in STATUSES else ""
    filtered = bool(chosen or overdue or owner.strip())
    rows = reading.listing(
        session,
        principal,
        status=chosen or None,
        overdue=True if overdue else None,
        owner=owner.strip() or None,
    )
    return rendering.render(
        request,
        "postmortems/list.html",
        principal,
        rows=rows,
        sections=None if filtered else _sections(rows),
        filters={"status": chosen, "overdue": bool(overdue), "owner": owner.strip()},
        statuses=STATUSES,
        when=lambda at: when(principal, at),
    )


@router.get("/postmortems/{pm_id}", response_class=HTMLResponse, response_model=None)
def postmortem_page(pm_id: Id, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    pm, incident = access.to_read(session, pm_id, principal)
    language = rendering.lang(request)
    context = page_context(session, principal, pm, incident, language)
    context |= action_panel.panel_context(session, pm, principal, language)
    saved = request.query_params.get("saved", "")
    if saved.isdigit():
        context["banner"] = {"kind": "saved", "version": int(saved)}
    elif saved == "same":
        context["banner"] = {"kind": "unchanged"}
    return rendering.render(request, "postmortems/page.html", principal, **context)


@router.get("/postmortems/{pm_id}/edit", response_class=HTMLResponse, response_model=None)
def edit_page(pm_id: Id, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    pm, incident = access.to_read(session, pm_id, principal)
    if not access.may_edit(session, principal, incident):
        raise PermissionDenied("editing a postmortem needs the responder role on its team")
    editing.writable(pm)  # published: 409, reopen it first
    language = rendering.lang(request)
    context = page_context(session, principal, pm, incident, language)
    context["form"] = {"markdown": pm.markdown, "base_version": pm.version, "note": ""}
    return rendering.render(request, "postmortems/edit.html", principal, **context)


@router.get("/postmortems/{pm_id}/versions", response_class=HTMLResponse, response_model=None)
def versions_page(pm_id: Id, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    pm, incident = access.to_read(session, pm_id, principal)
    return rendering.render(
        request,
        "postmortems/versions.html",
        principal,
        pm=reading.detail(session, pm, incident),
        versions=reading.version_summaries(editing.versions(session, pm)),
        when=lambda at: when(principal, at),
    )


@router.get(
    "/postmortems/{pm_id}/versions/{number}", response_class=HTMLResponse, response_model=None
)
def version_page(pm_id: Id, number: Id, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    pm, incident = access.to_read(session, pm_id, principal)
    row = editing.version(session, pm, number)
    if row is None:
        raise NotFound(f"postmortem {pm.id} has no version {number}")
    return rendering.render(
        request,
        "postmortems/version.html",
        principal,
        pm=reading.detail(session, pm, incident),
        version=reading.version_out(row),
        html=rendered(row.markdown),
        when=lambda at: when(principal, at),
    )


@router.get("/postmortems/{pm_id}/print", response_class=HTMLResponse, response_model=None)
def print_page(pm_id: Id, request: Request, session: SessionDep) -> Response:
    """A clean page to print or save as PDF from the browser: no navigation, print CSS."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    pm, incident = access.to_read(session, pm_id, principal)
    context = page_context(session, principal, pm, incident, rendering.lang(request))
    return rendering.render(request, "postmortems/print.html", principal, **context)


@router.get("/postmortems/{pm_id}/export.md", response_model=None)
def export_page(pm_id: Id, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    pm, incident = access.to_read(session, pm_id, principal)
    return Response(
        exporting.markdown(session, pm, incident),
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{exporting.filename(incident)}"'},
    )
