"""The corrective-action pages: ``/actions`` (open actions across the installation, filtered:
mine, overdue, must fix, service, status), ``/actions/{id}`` (one action: its facts, the status
form for its owner and responders, the edit form for responders) and
``/postmortems/{id}/actions`` (a postmortem's actions panel on its own page, where a refused
add form comes back with what was typed). The same rules as the API
(:mod:`plantao.postmortems.views.actions`): a private incident's actions are not found by who
may not see it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.catalog.models import Service
from plantao.incidents.severity import SEVERITY_NAMES
from plantao.postmortems import access as pm_access
from plantao.postmortems import actions
from plantao.postmortems.models import ACTION_KINDS, ACTION_STATUSES
from plantao.web import action_panel, admin_common, rendering

router = APIRouter(include_in_schema=False)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in ("1", "true", "on")


def _filters(request: Request, session: Session) -> tuple[dict[str, Any], actions.ActionFilter]:
    q = request.query_params
    services = list(session.scalars(select(Service.slug).order_by(Service.slug)))
    status = q.get("status", "")
    status = status if status in ACTION_STATUSES else ""
    service = q.get("service", "")
    service = service if service in services else ""
    shown = {
        "mine": _flag(request, "mine"),
        "overdue": _flag(request, "overdue"),
        "must_fix": _flag(request, "must_fix"),
        "status": status,
        "service": service,
        "services": services,
    }
    return shown, actions.ActionFilter(
        status=status or None,
        owner=None,
        service=service or None,
        must_fix=True if shown["must_fix"] else None,
        overdue=bool(shown["overdue"]),
        open_only=not status,
    )


@router.get("/actions", response_class=HTMLResponse, response_model=None)
def actions_page(request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    shown, filt = _filters(request, session)
    if shown["mine"]:
        filt = replace(filt, owner=principal.handle)
    rows = actions.search(session, filt, principal)
    language = rendering.lang(request)
    return rendering.render(
        request,
        "actions/list.html",
        principal,
        rows=action_panel.rows_for(session, rows, principal, language),
        filters=shown,
        statuses=ACTION_STATUSES,
        filtered=any(shown[k] for k in ("mine", "overdue", "must_fix", "status", "service")),
    )


def render_action(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """An action's page; a refused form comes back here with what was typed and why."""
    row, incident = actions.get_to_read(session, ref, principal)
    language = rendering.lang(request)
    shown = action_panel.rows_for(session, [row], principal, language)[0]
    form = {
        "title": row.title,
        "owner": shown["owner"] or "",
        "due_date": row.due_date.isoformat(),
        "kind": row.kind,
        "severity": row.severity,
        "must_fix": "1" if row.must_fix else "",
        "ticket_url": row.ticket_url or "",
        "measure": row.measure or "",
        "environment": row.environment or "",
    }
    if typed is not None and typed.get("form") == "edit":
        form |= typed
    return rendering.render(
        request,
        "actions/action.html",
        principal,
        status_code=status_code,
        a=shown,
        incident=incident,
        form=form,
        typed=typed if typed is not None and typed.get("form") == "status" else None,
        error=error,
        kinds=ACTION_KINDS,
        severities=SEVERITY_NAMES,
        notice=request.query_params.get("saved"),
        when=admin_common.moments(principal),
    )


@router.get("/actions/{action_ref}", response_class=HTMLResponse, response_model=None)
def action_page(action_ref: str, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    return render_action(request, session, principal, action_ref[:40])


def render_panel_page(
    request: Request,
    session: Session,
    principal: Principal,
    pm_id: int,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    pm, incident = pm_access.to_read(session, pm_id, principal)
    context = action_panel.panel_context(
        session, pm, principal, rendering.lang(request), form=form, error=error
    )
    return rendering.render(
        request,
        "actions/postmortem.html",
        principal,
        status_code=status_code,
        pm_id=pm.id,
        incident=incident,
        **context,
    )


@router.get("/postmortems/{pm_id}/actions", response_class=HTMLResponse, response_model=None)
def postmortem_actions_page(pm_id: Id, request: Request, session: SessionDep) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    return render_panel_page(request, session, principal, pm_id)
