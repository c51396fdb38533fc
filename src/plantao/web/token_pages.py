"""API tokens in the browser: everyone creates and revokes their own; admins also see every
token, revoke anyone's and create tokens for service accounts.

The clear token is shown once, on the page that answers the creation (never stored, never in a
redirect URL, never cached); the list shows only its prefix.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth import service as auth_service
from plantao.auth.principal import Principal
from plantao.auth.roles import Need, Scope
from plantao.errors import DomainError, PermissionDenied, ValidationFailed
from plantao.people import directory
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)

#: Choices for a new token's life; "never" is there for service accounts run by machines.
EXPIRIES = {"7": 7, "30": 30, "90": 90, "365": 365, "never": None}
DEFAULT_EXPIRY = "90"


def _form(
    name: str = "", scopes: list[str] | None = None, expiry: str = DEFAULT_EXPIRY, owner: str = ""
) -> dict[str, object]:
    return {"name": name, "scopes": scopes or ["read"], "expiry": expiry, "owner": owner}


def _listing(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, object] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    people = directory.list_users(session)
    handles = {u.id: u.handle for u in people}
    return admin_common.page(
        request,
        "admin/tokens.html",
        principal,
        status_code=status_code,
        mine=auth_service.list_tokens(session, user_id=principal.user_id),
        everyone=auth_service.list_tokens(session) if principal.is_admin else [],
        handles=handles,
        owners=[u for u in people if u.disabled_at is None] if principal.is_admin else [],
        scopes=[s.value for s in Scope if principal.is_admin or s is not Scope.ADMIN],
        expiries=list(EXPIRIES),
        form=form or _form(owner=principal.handle),
        error=error,
        now=clock.now(),
        revoked=request.query_params.get("revoked"),
    )


@router.get("/tokens", response_class=HTMLResponse, response_model=None)
def tokens_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    return _listing(request, session, principal)


@router.post("/tokens", response_class=HTMLResponse, response_model=None)
def create_token_form(
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
    scopes: Annotated[list[str] | None, Form(max_length=5)] = None,
    expiry: Annotated[str, Form(max_length=8)] = DEFAULT_EXPIRY,
    owner: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create and show the clear token once; an error keeps what was typed."""
    who = rendering.writer(request, session, csrf, Need.READ)
    if isinstance(who, Response):
        return who
    form = _form(name, scopes, expiry, owner or who.handle)
    try:
        if expiry not in EXPIRIES:
            raise ValidationFailed("expiry: choose one of the offered lifetimes")
        if owner and owner != who.handle:
            who.require(Need.ADMIN)
            user = directory.get(session, owner)
        else:
            user = directory.get(session, who.handle)
        if "admin" in (scopes or []) and user.global_role != "admin":
            raise PermissionDenied("only an admin's token can carry the admin scope")
        days = EXPIRIES[expiry]
        row, clear = auth_service.create_token(
            session,
            user=user,
            name=name,
            scopes=list(scopes or []),
            expires_at=clock.now() + timedelta(days=days) if days is not None else None,
            actor=who.audit_actor,
        )
    except DomainError as exc:
        session.rollback()
        return _listing(request, session, who, form=form, error=exc.detail, status_code=exc.status)
    session.commit()
    return admin_common.no_store(
        admin_common.page(
            request, "admin/token_created.html", who, token=row, clear=clear, owner=user.handle
        )
    )


@router.post("/tokens/{token_id}/revoke", response_model=None)
def revoke_token_form(
    token_id: Id, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    """Revoke one of your tokens (an admin: anyone's)."""
    who = rendering.writer(request, session, csrf, Need.READ)
    if isinstance(who, Response):
        return who
    try:
        auth_service.revoke_token(
            session,
            token_id,
            actor=who.audit_actor,
            owner_id=None if who.is_admin else who.user_id,
        )
    except DomainError as exc:
        session.rollback()
        return _listing(request, session, who, error=exc.detail, status_code=exc.status)
    session.commit()
    return RedirectResponse(f"/tokens?revoked={token_id}", status_code=303)
