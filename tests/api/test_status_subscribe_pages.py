"""The public subscription forms and the subscribers API: form tokens, the honeypot, the same
answer whatever the address's state, confirm/unsubscribe links (GET asks, POST acts; RFC 8058
one-click), expired and bad links, the 429 pages, and the admins' API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from plantao import clock
from plantao.auth import keyring
from plantao.config import Settings
from plantao.db import session_scope
from plantao.notify.models import Delivery
from plantao.statuspage import pages, subscriptions
from plantao.statuspage.models import StatusComponent, StatusSubscriber
from tests.api.conftest import Api

SETTINGS = Settings(env="test", base_url="http://plantao.test")


def _form_token(html: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', html)
    assert match, "no subscription form on the page"
    return match.group(1)


def _post(api: Api, email: str, **extra: str) -> tuple[int, str]:
    page = api.client.get("/status/subscribe")
    data = {"email": email, "form_token": _form_token(page.text), "website": "", **extra}
    res = api.client.post("/status/subscribe", data=data)
    return res.status_code, res.text


def _confirmations(api: Api) -> list[Delivery]:
    with session_scope(api.factory) as session:
        rows = list(
            session.scalars(
                select(Delivery)
                .where(Delivery.idempotency_key.startswith("status-confirm:"))
                .order_by(Delivery.id)
            )
        )
        session.expunge_all()
        return rows


def _link(row: Delivery) -> str:
    url = str(row.links[0]["url"])
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _subscriber(api: Api) -> StatusSubscriber:
    with session_scope(api.factory) as session:
        sub = session.scalars(select(StatusSubscriber)).one()
        session.expunge(sub)
        return sub


def test_form_lists_components_and_carries_a_signed_token(api: Api) -> None:
    """The form works without a session: a signed token, a hidden honeypot, the components."""
    with session_scope(api.factory) as session:
        page = pages.ensure_default(session)
        now = clock.now()
        session.add(
            StatusComponent(
                page_id=page.id,
                slug="api",
                name="Public API",
                description="",
                group_name=None,
                position=0,
                services=[],
                status="operational",
                created_at=now,
                updated_at=now,
            )
        )
    res = api.client.get("/status/subscribe?lang=pt-BR")
    assert res.status_code == 200
    assert _form_token(res.text)
    assert 'name="website"' in res.text and "hidden" in res.text
    assert 'value="api"' in res.text and "Public API" in res.text
    assert "Receba atualizações" in res.text
    assert "<script" not in res.text and "style=" not in res.text
    assert 'name="language" value="pt-BR"' in res.text
    data = {"email": "ana@example.com", "form_token": _form_token(res.text), "language": "pt-BR"}
    sent = api.client.post("/status/subscribe", data={**data, "components": ["api", "nope"]})
    assert sent.status_code == 200 and "Confira sua caixa de entrada" in sent.text
    assert _subscriber(api).components == ["api"]
    assert _subscriber(api).language == "pt-BR"


def test_same_answer_for_new_pending_and_confirmed(api: Api) -> None:
    """Nobody learns from the answer whether an address is subscribed."""
    first = _post(api, "ana@example.com")
    again = _post(api, "ana@example.com")
    [row] = _confirmations(api)
    assert api.client.post(_link(row)).status_code == 200
    confirmed = _post(api, "ana@example.com")
    assert first == again == confirmed
    assert first[0] == 200 and "Check your inbox" in first[1]
    assert len(_confirmations(api)) == 1


def test_bad_form_token_rerenders_the_form(api: Api) -> None:
    """A forged or missing form token gets the form back (400), keeping the address."""
    res = api.client.post("/status/subscribe", data={"email": "ana@example.com"})
    assert res.status_code == 400
    assert 'value="ana@example.com"' in res.text and "expired" in res.text
    assert _confirmations(api) == []


def test_invalid_address_rerenders_the_form(api: Api) -> None:
    """Something that cannot be an address is refused (422) with the form kept."""
    status, body = _post(api, "not-an-address")
    assert status == 422 and 'value="not-an-address"' in body


def test_honeypot_answers_the_same_and_does_nothing(api: Api) -> None:
    """A robot filling the hidden field is told the usual thing and nothing is written."""
    status, body = _post(api, "bot@example.com", website="http://spam.example")
    assert status == 200 and "Check your inbox" in body
    assert _confirmations(api) == []
    with session_scope(api.factory) as session:
        assert session.scalars(select(StatusSubscriber)).all() == []


def test_confirm_link_get_asks_and_post_acts(api: Api) -> None:
    """Following the link shows a button (a mail scanner's GET confirms nothing); POST does."""
    _post(api, "ana@example.com")
    link = _link(_confirmations(api)[0])
    shown = api.client.get(link)
    assert shown.status_code == 200 and 'name="token"' in shown.text
    assert _subscriber(api).confirmed_at is None
    token = parse_qs(urlsplit(link).query)["token"][0]
    done = api.client.post("/status/confirm", data={"token": token})
    assert done.status_code == 200 and "Subscribed" in done.text
    assert _subscriber(api).confirmed_at is not None


def test_expired_and_forged_links(api: Api, frozen: datetime) -> None:
    """A confirmation link older than a week, or edited, is refused with a plain page."""
    _post(api, "ana@example.com")
    link = _link(_confirmations(api)[0])
    assert api.client.get(link + "x").status_code == 400
    clock.advance(timedelta(days=7, minutes=1))
    res = api.client.post(link)
    assert res.status_code == 400 and "does not work" in res.text
    assert _subscriber(api).confirmed_at is None


def test_one_click_unsubscribe(api: Api) -> None:
    """An RFC 8058 one-click POST to the unsubscribe URL ends the subscription."""
    _post(api, "ana@example.com")
    api.client.post(_link(_confirmations(api)[0]))
    with session_scope(api.factory) as session:
        sub = session.scalars(select(StatusSubscriber)).one()
        page = pages.ensure_default(session)
        key = keyring.current(session, SETTINGS).signing
        url = subscriptions.unsubscribe_url(SETTINGS, page, sub, key)
    parts = urlsplit(url)
    path = f"{parts.path}?{parts.query}"
    assert "Unsubscribe" in api.client.get(path).text
    assert _subscriber(api).unsubscribed_at is None
    res = api.client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert res.status_code == 200
    assert _subscriber(api).unsubscribed_at is not None


def test_rate_limit_per_ip_answers_429(api: Api) -> None:
    """The sixth subscription from one address within the hour gets a 429 page."""
    statuses = [_post(api, f"u{i}@example.com")[0] for i in range(6)]
    assert statuses[:5] == [200] * 5
    page = api.client.get("/status/subscribe")
    res = api.client.post(
        "/status/subscribe",
        data={"email": "u9@example.com", "form_token": _form_token(page.text)},
    )
    assert statuses[5] == 429 and res.status_code == 429
    assert int(res.headers["Retry-After"]) > 0


def test_unknown_page_is_404(api: Api) -> None:
    """Only existing public pages take subscriptions."""
    assert api.client.get("/status/nope/subscribe").status_code == 404
    assert api.client.get("/status/subscribe?page=nope").status_code == 404


def test_admin_api_counts_adds_and_removes_webhooks(api: Api) -> None:
    """Admins see counts and addresses, add a webhook (secret shown once) and remove it."""
    _post(api, "ana@example.com")
    admin = api.headers("admin")
    listing = api.client.get("/api/v1/status-pages/public/subscribers", headers=admin)
    assert listing.status_code == 200
    body = listing.json()
    assert body["counts"]["by_state"] == {"pending": 1, "confirmed": 0, "unsubscribed": 0}
    assert body["subscribers"][0]["address"] == "ana@example.com"
    viewer = api.client.get(
        "/api/v1/status-pages/public/subscribers", headers=api.headers("viewer")
    )
    assert viewer.status_code == 403
    bad = api.client.post(
        "/api/v1/status-pages/public/webhook-subscribers",
        json={"url": "gopher://example.com/x"},
        headers=admin,
    )
    assert bad.status_code == 422
    made = api.client.post(
        "/api/v1/status-pages/public/webhook-subscribers",
        json={"url": "https://hooks.example.com/status"},
        headers=admin,
    )
    assert made.status_code == 201 and made.json()["secret"].startswith("whsec_")
    gone = api.client.delete(f"/api/v1/status-subscribers/{made.json()['id']}", headers=admin)
    assert gone.status_code == 204
    again = api.client.delete(f"/api/v1/status-subscribers/{made.json()['id']}", headers=admin)
    assert again.status_code == 404


def test_admin_screen_counts_and_manages_webhooks(api: Api) -> None:
    """The admin screen counts subscribers per state, adds a webhook (its secret shown once)
    and removes it; a viewer is refused."""
    _post(api, "ana@example.com")
    api.login("viewer")
    assert api.client.get("/admin/status-subscribers").status_code == 403
    api.login("admin")
    shown = api.client.get("/admin/status-subscribers")
    assert shown.status_code == 200 and "Waiting for confirmation" in shown.text
    assert "ana@example.com" not in shown.text
    bad = api.client.post(
        "/admin/status-subscribers/webhooks",
        data={"csrf": api.csrf(shown.text), "page": "public", "url": "ftp://x.example/"},
    )
    assert bad.status_code == 422 and 'value="ftp://x.example/"' in bad.text
    added = api.client.post(
        "/admin/status-subscribers/webhooks",
        data={"csrf": api.csrf(shown.text), "page": "public", "url": "https://h.example/in/x"},
    )
    assert added.status_code == 200 and "whsec_" in added.text
    assert "https://h.example/…" in added.text and "https://h.example/in/x" not in added.text
    with session_scope(api.factory) as session:
        hook = session.scalars(
            select(StatusSubscriber).where(StatusSubscriber.kind == "webhook")
        ).one()
    gone = api.client.post(
        f"/admin/status-subscribers/{hook.id}/delete",
        data={"csrf": api.csrf(shown.text)},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert "whsec_" not in api.client.get("/admin/status-subscribers").text
