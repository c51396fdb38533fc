"""The intake inbox for admins: how far behind the engine is, and the entries it set aside as
failed (with the error), each retried alone or all at once. Every retry is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from plantao.api.deps import SessionDep
from plantao.api.params import BigId
from plantao.auth.roles import Need
from plantao.catalog import service as catalog_service
from plantao.intake import inbox
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)


@router.get("/inbox", response_class=HTMLResponse, response_model=None)
def inbox_page(
    request: Request,
    session: SessionDep,
    requeued: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
) -> Response:
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    slugs = {i: ref.slug for i, ref in catalog_service.integrations_by_id(session).items()}
    return admin_common.page(
        request,
        "admin/inbox.html",
        principal,
        depth=inbox.depth(session),
        failed=inbox.failed_entries(session, 200),
        slugs=slugs,
        requeued=requeued,
    )


def _retry(request: Request, session: SessionDep, csrf: str, entry_id: int | None) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    count = inbox.retry_failed(session, entry_id, actor=who.audit_actor)
    session.commit()
    return RedirectResponse(f"/inbox?requeued={count}", status_code=303)


@router.post("/inbox/retry", response_model=None)
def retry_all_form(request: Request, session: SessionDep, csrf: Annotated[str, Form()]) -> Response:
    return _retry(request, session, csrf, None)


@router.post("/inbox/{entry_id}/retry", response_model=None)
def retry_one_form(
    entry_id: BigId, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    return _retry(request, session, csrf, entry_id)
