"""Status page subscribers against SQLite and PostgreSQL: double opt-in through the outbox with
no enumeration, confirm and unsubscribe links, the fan-out writing one row per published update
and subscriber (components filtered, nothing internal), and a webhook subscriber's delivery
signed like the generic webhook."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine import status_fanout_step
from plantao.engine.delivery_step import _webhook_secrets
from plantao.notify import delivery
from plantao.notify.channels.webhook import WebhookChannel
from plantao.notify.models import Delivery
from plantao.notify.signing import SIGNATURE_HEADER, verify_signature
from plantao.statuspage import pages, subscriptions
from plantao.statuspage import subscription_tokens as tokens
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusSubscriber,
)
from tests.factories import status_pages

SETTINGS = Settings(env="test", base_url="http://plantao.test")


@pytest.fixture
def page(factory: sessionmaker[Session], frozen: datetime) -> int:
    """The public page with components 'api' and 'web'."""
    with session_scope(factory) as session:
        page_id = pages.ensure_default(session).id
        for position, slug in enumerate(("api", "web")):
            session.add(
                StatusComponent(
                    page_id=page_id,
                    slug=slug,
                    name=slug.upper(),
                    description="",
                    group_name=None,
                    position=position,
                    services=[],
                    status="operational",
                    created_at=frozen,
                    updated_at=frozen,
                )
            )
    return page_id


def _subscribe(factory: sessionmaker[Session], email: str, components: list[str] = []) -> None:  # noqa: B006
    with session_scope(factory) as session:
        page = pages.ensure_default(session)
        subscriptions.subscribe(session, SETTINGS, page, email, components, "en", "192.0.2.1")


def _mails(factory: sessionmaker[Session], prefix: str) -> list[Delivery]:
    with session_scope(factory) as session:
        rows = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.idempotency_key.startswith(prefix))
                .order_by(Delivery.id)
            )
        )
        session.expunge_all()
        return rows


def _token(row: Delivery, action: str) -> str:
    url = str(next(link["url"] for link in row.links if link["action"] == action))
    return parse_qs(urlsplit(url).query)["token"][0]


def _confirm(factory: sessionmaker[Session], email: str, components: list[str] = []) -> None:  # noqa: B006
    _subscribe(factory, email, components)
    row = [m for m in _mails(factory, "status-confirm:") if m.address == email][-1]
    with session_scope(factory) as session:
        subscriptions.confirm(
            session, SETTINGS, pages.ensure_default(session), _token(row, "confirm")
        )


def _publish(factory: sessionmaker[Session], page_id: int, components: list[str]) -> int:
    """A public incident affecting ``components`` with its first update (the publication)."""
    now = clock.now()
    with session_scope(factory) as session:
        incident = PublicIncident(
            page_id=page_id,
            incident_id=None,
            title="Checkout errors",
            status="investigating",
            impact="major",
            published_by="comms",
            created_at=now,
            updated_at=now,
            resolved_at=None,
        )
        session.add(incident)
        session.flush()
        for comp in session.scalars(
            select(StatusComponent).where(StatusComponent.slug.in_(components))
        ):
            session.add(
                PublicIncidentComponent(
                    public_incident_id=incident.id, component_id=comp.id, status="major_outage"
                )
            )
        _update(session, incident.id, "investigating", "We are looking into it.")
        return incident.id


def _update(session: Session, incident_id: int, status: str, body: str) -> None:
    session.add(
        PublicUpdate(
            public_incident_id=incident_id,
            status=status,
            body=body,
            components={},
            status_update_id=None,
            created_by="comms",
            created_at=clock.now(),
            notified_at=None,
        )
    )
    session.flush()


def _fan_out(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as session:
        return status_fanout_step.fan_out(session, SETTINGS)


def test_subscribe_writes_one_confirmation_with_a_link(
    factory: sessionmaker[Session], page: int
) -> None:
    """Subscribing writes a pending subscriber and one addressed e-mail with a confirm link."""
    _subscribe(factory, "Ana@Example.COM")
    [row] = _mails(factory, "status-confirm:")
    assert (row.kind, row.channel, row.address) == ("message", "email", "Ana@example.com")
    assert row.incident_id is None and row.user_id is None
    assert "/status/confirm?token=" in row.links[0]["url"]
    with session_scope(factory) as session:
        sub = session.scalars(select(StatusSubscriber)).one()
        assert (sub.confirmed_at, sub.source) == (None, "192.0.2.1")


def test_no_enumeration_and_no_second_mail_within_the_window(
    factory: sessionmaker[Session], page: int
) -> None:
    """Subscribing again answers the same and mails nothing more within ten minutes; a
    confirmed address gets nothing; the daily cap holds."""
    _subscribe(factory, "ana@example.com")
    _subscribe(factory, "ana@example.com")
    assert len(_mails(factory, "status-confirm:")) == 1
    clock.advance(subscriptions.RESEND_EVERY)
    _subscribe(factory, "ana@example.com")
    assert len(_mails(factory, "status-confirm:")) == 2
    for _ in range(3):
        clock.advance(subscriptions.RESEND_EVERY)
        _subscribe(factory, "ana@example.com")
    assert len(_mails(factory, "status-confirm:")) == subscriptions.MAILS_PER_DAY
    _confirm(factory, "bia@example.com")
    before = len(_mails(factory, "status-confirm:"))
    clock.advance(subscriptions.RESEND_EVERY)
    _subscribe(factory, "bia@example.com")
    assert len(_mails(factory, "status-confirm:")) == before


def test_confirm_then_fan_out_once_per_update(factory: sessionmaker[Session], page: int) -> None:
    """A confirmed subscriber gets one row per update, however often the step runs; a pending
    one gets none."""
    _confirm(factory, "ana@example.com")
    _subscribe(factory, "pending@example.com")
    incident = _publish(factory, page, ["api"])
    assert _fan_out(factory) == 1
    assert _fan_out(factory) == 0
    with session_scope(factory) as session:
        _update(session, incident, "identified", "A bad deploy; rolling back.")
    assert _fan_out(factory) == 1
    rows = _mails(factory, "status-update:")
    assert [r.address for r in rows] == ["ana@example.com"] * 2
    assert [r.subject for r in rows] == [
        "[Status] Checkout errors: Investigating",
        "[Status] Checkout errors: Identified",
    ]
    assert rows[1].incident_id is None and rows[1].incident_ref == f"status-{incident}"
    assert "A bad deploy; rolling back." in rows[1].text
    assert {link["action"] for link in rows[0].links} == {"view", "unsubscribe"}


def test_components_filter(factory: sessionmaker[Session], page: int) -> None:
    """A subscriber of 'web' hears nothing of an 'api' incident; one of every component does."""
    _confirm(factory, "web@example.com", ["web"])
    _confirm(factory, "all@example.com")
    _confirm(factory, "api@example.com", ["api", "nonexistent"])
    _publish(factory, page, ["api"])
    _fan_out(factory)
    assert sorted(r.address or "" for r in _mails(factory, "status-update:")) == [
        "all@example.com",
        "api@example.com",
    ]


def test_unsubscribe_stops_updates_and_old_links(factory: sessionmaker[Session], page: int) -> None:
    """After the unsubscribe link nothing more is written; re-subscribing needs a new
    confirmation, and the links mailed before no longer work."""
    _confirm(factory, "ana@example.com")
    incident = _publish(factory, page, ["api"])
    _fan_out(factory)
    [first] = _mails(factory, "status-update:")
    old_confirm = _token(_mails(factory, "status-confirm:")[0], "confirm")
    with session_scope(factory) as session:
        subscriptions.unsubscribe(
            session, SETTINGS, pages.ensure_default(session), _token(first, "unsubscribe")
        )
        _update(session, incident, "resolved", "Fixed.")
    _fan_out(factory)
    assert len(_mails(factory, "status-update:")) == 1
    clock.advance(timedelta(minutes=1))
    _subscribe(factory, "ana@example.com")
    with session_scope(factory) as session, pytest.raises(tokens.TokenError):
        subscriptions.confirm(session, SETTINGS, pages.ensure_default(session), old_confirm)


def test_updates_of_a_day_ago_are_not_mailed(factory: sessionmaker[Session], page: int) -> None:
    """Turning subscribers on does not mail the page's history."""
    _publish(factory, page, ["api"])
    clock.advance(status_fanout_step.TOO_OLD + timedelta(minutes=1))
    _confirm(factory, "ana@example.com")
    assert _fan_out(factory) == 1
    assert _mails(factory, "status-update:") == []


def test_webhook_subscriber_gets_a_signed_delivery(
    factory: sessionmaker[Session], page: int
) -> None:
    """An admin's webhook subscriber receives the update signed with the secret it was given."""
    with session_scope(factory) as session:
        sub, secret = subscriptions.add_webhook(
            session, SETTINGS, pages.ensure_default(session), "https://hooks.example.com/in"
        )
    with session_scope(factory) as session, pytest.raises(Exception, match="http"):
        subscriptions.add_webhook(
            session, SETTINGS, pages.ensure_default(session), "file:///etc/passwd"
        )
    _publish(factory, page, ["web"])
    _fan_out(factory)
    with session_scope(factory) as session:
        [leased] = delivery.lease_due(
            session,
            SETTINGS,
            "w1",
            limit=10,
            lease=timedelta(minutes=1),
            secrets=_webhook_secrets,
        )
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    assert leased.target is not None

    async def send() -> object:
        assert leased.target is not None
        async with httpx.AsyncClient(transport=httpx.MockTransport(receive)) as client:
            return await WebhookChannel(client=client).send(leased.message, leased.target)

    asyncio.run(send())
    [request] = seen
    assert str(request.url) == "https://hooks.example.com/in"
    verify_signature(secret, request.content, request.headers[SIGNATURE_HEADER], clock.now())
    body = json.loads(request.content)
    assert body["subject"] == "[Status] Checkout errors: Investigating"
    assert body["incident"]["ref"].startswith("status-")
    assert body["links"][0]["url"].startswith("http://plantao.test/status/incidents/")
    assert sub.id


def _window(factory: sessionmaker[Session], page_id: int, starts: datetime, hours: int) -> None:
    """A one-off maintenance window shown on the page for component 'api'."""
    with session_scope(factory) as session:
        status_pages.shown_window(
            session,
            page_id,
            starts=starts,
            ends=starts + timedelta(hours=hours),
            body="Checkout may be slow.",
        )


def _maintenance(factory: sessionmaker[Session]) -> int:
    with session_scope(factory) as session:
        return status_fanout_step.notify_maintenance(session, SETTINGS)


def test_maintenance_scheduled_started_completed_once_each(
    factory: sessionmaker[Session], page: int, frozen: datetime
) -> None:
    """Subscribers of the window's components hear of it when scheduled, started and
    completed, once each however often the step looks."""
    _confirm(factory, "api@example.com", ["api"])
    _confirm(factory, "web@example.com", ["web"])
    _confirm(factory, "all@example.com")
    _window(factory, page, frozen + timedelta(days=2), hours=2)
    assert _maintenance(factory) == 1
    assert _maintenance(factory) == 0
    clock.advance(timedelta(days=2, minutes=1))
    assert _maintenance(factory) == 1
    clock.advance(timedelta(hours=2))
    assert _maintenance(factory) == 1
    assert _maintenance(factory) == 0
    rows = _mails(factory, "status-maint:")
    assert sorted({r.address or "" for r in rows}) == ["all@example.com", "api@example.com"]
    assert [r.subject for r in rows if r.address == "api@example.com"] == [
        "[Status] Scheduled maintenance: Database upgrade",
        "[Status] Maintenance in progress: Database upgrade",
        "[Status] Maintenance completed: Database upgrade",
    ]
    assert "Checkout may be slow." in rows[0].text


def test_maintenance_first_seen_completed_is_not_mailed(
    factory: sessionmaker[Session], page: int, frozen: datetime
) -> None:
    """A window already over when first looked at is recorded without mailing anyone."""
    _confirm(factory, "all@example.com")
    _window(factory, page, frozen - timedelta(hours=5), hours=2)
    assert _maintenance(factory) == 1
    assert _mails(factory, "status-maint:") == []
