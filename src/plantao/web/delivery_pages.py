"""Notification deliveries, all of them (not only the dead ones): what was sent to whom,
through which channel, in what state and why, with filters kept in the URL, and a retry for a
dead or backing-off one (managers of the incident's team; audited)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import RANK, Need, Role
from plantao.errors import DomainError, NotFound
from plantao.incidents import access as incident_access
from plantao.notify import outbox_admin
from plantao.notify.models import DELIVERY_STATES
from plantao.people import directory
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)

PAGE = 100
FIELDS = ("state", "channel", "user", "incident")


def _typed(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "").strip()[:64] for name in FIELDS}


def _visible_to(principal: Principal) -> tuple[frozenset[int], int] | None:
    """None (everything) for a manager of every team; else the teams they manage, plus their
    own deliveries."""
    everywhere = principal.access.global_role
    if everywhere is not None and RANK[everywhere] >= RANK[Role.MANAGER]:
        return None
    managed = frozenset(t for t in principal.access.team_roles if principal.can(Need.MANAGE, t))
    return managed, principal.user_id


def _listing(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    values = _typed(request)
    users = {u.id: u.handle for u in directory.list_users(session)}
    deliveries = []
    before = request.query_params.get("before", "")
    before_id = int(before) if before.isascii() and before.isdigit() and len(before) < 10 else None
    try:
        if values["state"] and values["state"] not in DELIVERY_STATES:
            raise NotFound(f"state: unknown state '{values['state']}'")
        user_id = None
        if values["user"]:
            found = directory.by_handle(session, values["user"])
            if found is None:
                raise NotFound(f"user '{values['user']}' does not exist")
            user_id = found.id
        incident_id = (
            incident_access.get_to_read(session, values["incident"], principal).id
            if values["incident"]
            else None
        )
        deliveries = outbox_admin.list_deliveries(
            session,
            state=values["state"] or None,
            channel=values["channel"] or None,
            user_id=user_id,
            incident_id=incident_id,
            before_id=before_id,
            limit=PAGE,
            visible_to=_visible_to(principal),
            hidden_for=None if principal.is_admin else principal.user_id,
        )
    except DomainError as exc:
        error, status_code = exc.detail, exc.status
    query = {k: v for k, v in values.items() if v}
    older = (
        f"?{urlencode({**query, 'before': deliveries[-1].id})}" if len(deliveries) == PAGE else None
    )
    return admin_common.page(
        request,
        "deliveries.html",
        principal,
        status_code=status_code,
        deliveries=deliveries,
        users=users,
        values=values,
        states=DELIVERY_STATES,
        channels=outbox_admin.channels(session),
        retryable=outbox_admin.RETRYABLE_STATES,
        depth=outbox_admin.depth_by_state(session),
        older=older,
        newest=f"?{urlencode(query)}" if before_id else None,
        filters=urlencode(query),
        error=error,
        retried=request.query_params.get("retried"),
    )


@router.get("/deliveries", response_class=HTMLResponse, response_model=None)
def deliveries_page(request: Request, session: SessionDep) -> Response:
    """Managers see their teams' deliveries (admins every one), newest first; filters: state,
    channel, user, incident."""
    principal = admin_common.reader(request, session, Need.MANAGE)
    if isinstance(principal, Response):
        return principal
    return _listing(request, session, principal)


@router.post("/deliveries/{delivery_id}/retry", response_model=None)
def retry_delivery_form(
    delivery_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    filters: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """A fresh attempt budget, due now; needs manager on the incident's team."""
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    try:
        delivery = outbox_admin.get(session, delivery_id)
        who.require(Need.MANAGE, outbox_admin.team_of(session, delivery))
        outbox_admin.retry_delivery(session, delivery_id, actor=who.audit_actor)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        session.rollback()
        return _listing(request, session, who, error=exc.detail, status_code=exc.status)
    session.commit()
    kept = [(k, v) for k, v in parse_qsl(filters) if k in FIELDS]  # back to the same view
    query = urlencode([("retried", str(delivery_id)), *kept])
    return RedirectResponse(f"/deliveries?{query}", status_code=303)
