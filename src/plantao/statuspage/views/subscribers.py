"""Status page subscribers over the API (admins).

``GET /api/v1/status-pages/{page_slug}/subscribers``: counts by state, kind and component, and
the list (managers see addresses masked, admins in full: they are personal data, and a webhook
URL may be its receiver's credential).
``POST /api/v1/status-pages/{page_slug}/webhook-subscribers`` ``{url, components}`` adds a
webhook subscriber and answers its signing secret, once.
``DELETE /api/v1/status-subscribers/{id}`` removes a subscriber of either kind. There is no
public webhook form: it would let anyone make this server call URLs of their choosing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from plantao.api.deps import Admin, Manager, SessionDep, SettingsDep
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.errors import NotFound
from plantao.statuspage import subscriptions
from plantao.statuspage.models import StatusPage, StatusSubscriber
from plantao.statuspage.pages import DEFAULT_SLUG, by_slug, ensure_default

router = APIRouter(tags=["status page"], responses=problem_responses())

SLUG = r"^[a-z0-9][a-z0-9-]*$"
PageSlug = Annotated[str, Path(min_length=1, max_length=64, pattern=SLUG)]


class SubscriberOut(BaseModel):
    id: int
    kind: str
    address: str
    state: str
    components: list[str]
    language: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


class CountsOut(BaseModel):
    by_state: dict[str, int]
    by_kind: dict[str, int]
    by_component: dict[str, int]


class SubscribersOut(BaseModel):
    page: str
    counts: CountsOut
    subscribers: list[SubscriberOut]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000)
    components: list[Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG)]] = Field(
        default_factory=list, max_length=200
    )


class WebhookOut(SubscriberOut):
    secret: str = Field(description="Signs every delivery (X-Plantao-Signature); shown once.")


def _page(session: SessionDep, slug: str) -> StatusPage:
    page = ensure_default(session) if slug == DEFAULT_SLUG else by_slug(session, slug)
    if page is None:
        raise NotFound(f"status page {slug} does not exist")
    return page


def _out(sub: StatusSubscriber, full: bool) -> SubscriberOut:
    return SubscriberOut(
        id=sub.id,
        kind=sub.kind,
        address=sub.address if full else subscriptions.mask(sub.address),
        state=subscriptions.state_of(sub),
        components=list(sub.components),
        language=sub.language,
        created_at=sub.created_at,
        confirmed_at=sub.confirmed_at,
        unsubscribed_at=sub.unsubscribed_at,
    )


@router.get("/api/v1/status-pages/{page_slug}/subscribers", response_model=SubscribersOut)
def list_subscribers(page_slug: PageSlug, who: Manager, session: SessionDep) -> SubscribersOut:
    page = _page(session, page_slug)
    counts = subscriptions.counts(session, page)
    rows = session.scalars(
        select(StatusSubscriber)
        .where(StatusSubscriber.page_id == page.id)
        .order_by(StatusSubscriber.id)
        .limit(1000)
    )
    full = who.is_admin
    out = SubscribersOut(
        page=page.slug,
        counts=CountsOut(
            by_state=counts.by_state, by_kind=counts.by_kind, by_component=counts.by_component
        ),
        subscribers=[_out(s, full) for s in rows],
    )
    session.commit()
    return out


@router.post(
    "/api/v1/status-pages/{page_slug}/webhook-subscribers",
    response_model=WebhookOut,
    status_code=201,
)
def add_webhook(
    page_slug: PageSlug, body: WebhookIn, who: Admin, session: SessionDep, settings: SettingsDep
) -> WebhookOut:
    page = _page(session, page_slug)
    sub, secret = subscriptions.add_webhook(session, settings, page, body.url, body.components)
    out = WebhookOut(**_out(sub, True).model_dump(), secret=secret)
    session.commit()
    return out


@router.delete("/api/v1/status-subscribers/{subscriber_id}", status_code=204)
def remove_subscriber(subscriber_id: Id, who: Admin, session: SessionDep) -> Response:
    subscriptions.remove(session, subscriber_id)
    session.commit()
    return Response(status_code=204)
