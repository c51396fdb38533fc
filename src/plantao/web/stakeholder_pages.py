"""The stakeholders page: who is kept informed of incidents, added and removed in the browser.

The same rules as the API (``plantao.command.views.stakeholders``): a manager sees the list and
manages their teams' and services' stakeholders, an admin the global ones too; webhook URLs
show up to their host. Stakeholders declared in ``plantao.yaml`` are listed but changed there.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.command import stakeholders
from plantao.command.models import STAKEHOLDER_KINDS, STAKEHOLDER_SCOPES
from plantao.errors import Conflict, DomainError, NotFound, ValidationFailed
from plantao.incidents.severity import SEVERITY_NAMES
from plantao.people import directory
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)

_FIELDS = ("scope", "scope_slug", "name", "kind", "user", "address", "language", "min_severity")


def _empty() -> dict[str, str]:
    return dict.fromkeys(_FIELDS, "") | {
        "scope": "service",
        "kind": "email",
        "language": "en",
        "min_severity": "sev4",
    }


def _listing(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    added: str | None = None,
    deleted: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    rows = stakeholders.list_stakeholders(session)
    handles = {u.id: u.handle for u in directory.list_users(session)}
    manageable = set()
    for row in rows:
        try:
            stakeholders.require_manage(session, principal, row.scope, row.scope_slug)
        except DomainError:
            continue
        manageable.add(row.id)
    return admin_common.page(
        request,
        "stakeholders.html",
        principal,
        status_code=status_code,
        rows=rows,
        shown={r.id: stakeholders.shown_address(r) for r in rows},
        handles=handles,
        manageable=manageable,
        scopes=STAKEHOLDER_SCOPES,
        kinds=STAKEHOLDER_KINDS,
        languages=stakeholders.LANGUAGES,
        severities=SEVERITY_NAMES,
        form=form or _empty(),
        error=error,
        added=added,
        deleted=deleted,
    )


@router.get("/stakeholders", response_class=HTMLResponse, response_model=None)
def stakeholders_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.MANAGE)
    if isinstance(principal, Response):
        return principal
    return _listing(
        request,
        session,
        principal,
        added=request.query_params.get("added"),
        deleted=bool(request.query_params.get("deleted")),
    )


@router.post("/stakeholders", response_class=HTMLResponse, response_model=None)
def add_stakeholder_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    scope: Annotated[str, Form(max_length=16)] = "service",
    scope_slug: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=16)] = "email",
    user: Annotated[str, Form(max_length=64)] = "",
    address: Annotated[str, Form(max_length=2048)] = "",
    secret: Annotated[str, Form(max_length=512)] = "",
    language: Annotated[str, Form(max_length=8)] = "en",
    min_severity: Annotated[str, Form(max_length=8)] = "sev4",
) -> Response:
    """Add a stakeholder; an error shows above the form, which keeps what was typed (but the
    secret)."""
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    slug = "" if scope == "global" else scope_slug.strip()
    form = {
        "scope": scope,
        "scope_slug": slug,
        "name": name.strip(),
        "kind": kind,
        "user": user.strip(),
        "address": address.strip(),
        "language": language,
        "min_severity": min_severity,
    }
    spec = stakeholders.StakeholderSpec(
        scope=scope,
        scope_slug=slug,
        name=form["name"],
        kind=kind,
        user=form["user"] or None,
        address=form["address"] or None,
        secret=secret or None,
        language=language,
        min_severity=min_severity,
    )
    try:
        if scope not in STAKEHOLDER_SCOPES:
            raise ValidationFailed(f"scope: use one of {', '.join(STAKEHOLDER_SCOPES)}")
        try:
            stakeholders.require_manage(session, who, scope, slug)
        except NotFound as exc:
            raise ValidationFailed(f"{scope}: {exc.detail}") from exc
        row = stakeholders.create(session, spec, actor=who.actor, audit_actor=who.audit_actor)
    except DomainError as exc:
        session.rollback()
        return _listing(request, session, who, form=form, error=exc.detail, status_code=exc.status)
    session.commit()
    return RedirectResponse(f"/stakeholders?added={row.name}", status_code=303)


@router.post("/stakeholders/{stakeholder_id}/delete", response_model=None)
def delete_stakeholder_form(
    stakeholder_id: Id, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    try:
        row = stakeholders.get(session, stakeholder_id)
        stakeholders.require_manage(session, who, row.scope, row.scope_slug)
        if row.origin == "config":
            raise Conflict(f"{row.name} is declared in plantao.yaml; remove it there")
        stakeholders.delete(session, row, audit_actor=who.audit_actor)
    except DomainError as exc:
        session.rollback()
        return _listing(request, session, who, error=exc.detail, status_code=exc.status)
    session.commit()
    return RedirectResponse("/stakeholders?deleted=1", status_code=303)
