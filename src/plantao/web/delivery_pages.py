"""Notification deliveries: what was sent, what failed, and retrying a dead one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plantao.api.deps import SessionDep
from plantao.auth.roles import Need
from plantao.notify import outbox_admin
from plantao.web import rendering

router = APIRouter(include_in_schema=False)


@router.get("/deliveries", response_class=HTMLResponse, response_model=None)
def dead_deliveries_page(request: Request, session: SessionDep) -> Response:
    """Notifications that could not be delivered (the dead-letter queue), for admins."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    principal.require(Need.MANAGE)
    return rendering.render(
        request,
        "deliveries.html",
        principal,
        deliveries=outbox_admin.list_deliveries(session, state="dead", limit=200),
    )


@router.post("/deliveries/{delivery_id}/retry", response_model=None)
def retry_delivery_form(
    delivery_id: int, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    who = rendering.writer(request, session, csrf, Need.MANAGE)
    if isinstance(who, Response):
        return who
    outbox_admin.retry_delivery(session, delivery_id)
    session.commit()
    return RedirectResponse("/deliveries", status_code=303)
