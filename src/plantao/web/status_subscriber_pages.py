"""The status page subscribers screen (admins): how many subscribers each page has, by state
and component, and its webhook subscribers, added and removed here.

E-mail addresses are not listed (personal data; the counts are what an operator needs, and the
API lists them for admins). A webhook subscriber's signing secret is shown once, on the answer
to the form that adds it; webhook URLs show up to their host. There is no public webhook form
(it would let anyone make this server call URLs of their choosing).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep, SettingsDep
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.errors import DomainError, NotFound
from plantao.statuspage import subscriptions
from plantao.statuspage.models import StatusComponent, StatusPage, StatusSubscriber
from plantao.statuspage.pages import ensure_default
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)
PATH = "/admin/status-subscribers"


def _listing(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    secret: str | None = None,
    deleted: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    ensure_default(session)
    pages = list(session.scalars(select(StatusPage).order_by(StatusPage.slug)))
    components = {(c.page_id, c.slug): c.name for c in session.scalars(select(StatusComponent))}
    webhooks = list(
        session.scalars(
            select(StatusSubscriber)
            .where(StatusSubscriber.kind == "webhook")
            .order_by(StatusSubscriber.page_id, StatusSubscriber.id)
        )
    )
    response = admin_common.page(
        request,
        "status_subscribers.html",
        principal,
        status_code=status_code,
        pages=pages,
        counts={p.id: subscriptions.counts(session, p) for p in pages},
        component_names=components,
        webhooks=webhooks,
        page_slugs={p.id: p.slug for p in pages},
        shown={w.id: subscriptions.mask(w.address) for w in webhooks},
        form=form or {"page": "public", "url": "", "components": ""},
        error=error,
        secret=secret,
        deleted=deleted,
    )
    session.commit()  # the default page, when this made it
    return response


@router.get(PATH, response_class=HTMLResponse, response_model=None)
def subscribers_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session, Need.ADMIN)
    if isinstance(principal, Response):
        return principal
    return _listing(request, session, principal, deleted=bool(request.query_params.get("deleted")))


@router.post(PATH + "/webhooks", response_class=HTMLResponse, response_model=None)
def add_webhook_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str, Form()],
    page: Annotated[str, Form(max_length=64)] = "public",
    url: Annotated[str, Form(max_length=2000)] = "",
    components: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Add a webhook subscriber and show its secret once (no redirect: it would lose it)."""
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    form = {"page": page, "url": url.strip(), "components": components.strip()}
    chosen = [c.strip() for c in components.replace(",", " ").split() if c.strip()]
    try:
        target = session.scalar(select(StatusPage).where(StatusPage.slug == page))
        if target is None:
            raise NotFound(f"status page {page} does not exist")
        _, secret = subscriptions.add_webhook(session, settings, target, form["url"], chosen)
    except DomainError as exc:
        session.rollback()
        return _listing(request, session, who, form=form, error=exc.detail, status_code=exc.status)
    session.commit()
    return _listing(request, session, who, secret=secret)


@router.post(PATH + "/{subscriber_id}/delete", response_model=None)
def delete_subscriber_form(
    subscriber_id: Id, request: Request, session: SessionDep, csrf: Annotated[str, Form()]
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    try:
        subscriptions.remove(session, subscriber_id)
    except DomainError as exc:
        session.rollback()
        return _listing(request, session, who, error=exc.detail, status_code=exc.status)
    session.commit()
    return RedirectResponse(PATH + "?deleted=1", status_code=303)
