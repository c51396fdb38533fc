"""Subscribing to a status page: e-mail with double opt-in, one-click unsubscribe, webhook
subscribers added by admins, and the counts the admin screens show.

No enumeration: :func:`subscribe` returns nothing and behaves the same, seen from outside,
whether the address is new, waiting for confirmation, confirmed or unsubscribed; only the
mailbox's owner learns anything (a confirmation e-mail arrives, or not because it is already
confirmed). A pending address gets the confirmation again at most once per
:data:`RESEND_EVERY` (the idempotency key of the outbox row is the time bucket, so two requests
at once write one row) and at most :data:`MAILS_PER_DAY` per day, so the form cannot be used to
flood someone's inbox. A confirmed subscription is never changed through the public form (a
stranger could otherwise change what someone receives); to change components one unsubscribes
and subscribes again.

Webhook subscribers are added by admins only: a public form taking a URL would let anyone make
this server send requests to addresses of their choosing (server-side request forgery).

Use cases only ``flush()``: the entry points commit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth import keyring
from plantao.config import Settings
from plantao.errors import NotFound, ValidationFailed
from plantao.notify.models import Delivery
from plantao.statuspage import subscriber_outbox, subscriber_texts
from plantao.statuspage import subscription_tokens as tokens
from plantao.statuspage.models import StatusComponent, StatusPage, StatusSubscriber
from plantao.statuspage.pages import path_of

__all__ = [
    "MAILS_PER_DAY",
    "RESEND_EVERY",
    "Counts",
    "add_webhook",
    "confirm",
    "counts",
    "link_url",
    "live_link",
    "normalise_email",
    "page_url",
    "remove",
    "subscribe",
    "unsubscribe",
]

RESEND_EVERY = timedelta(minutes=10)
MAILS_PER_DAY = 3
_EMAIL = re.compile(r"^[^@\s\"<>(),;:\\\[\]]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def normalise_email(text: str) -> str | None:
    """The address in the form's field (trimmed, domain lower-cased), or None if it cannot be
    one. Deliberately simple: the confirmation e-mail is the real test."""
    value = text.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def page_url(settings: Settings, page: StatusPage) -> str:
    """The page's public address: on its own host name when it has one (where ``/status/…``
    names that page, so the links work there too)."""
    if page.host:
        scheme = urlsplit(settings.base_url).scheme or "https"
        return f"{scheme}://{page.host}/status"
    return settings.base_url.rstrip("/") + path_of(page.slug)


def link_url(settings: Settings, page: StatusPage, purpose: str, token: str) -> str:
    return f"{page_url(settings, page)}/{purpose}?token={quote(token)}"


def _keys(session: Session, settings: Settings) -> keyring.Keyring:
    return keyring.current(session, settings)


def _components(session: Session, page: StatusPage, wanted: Sequence[str]) -> list[str]:
    """The chosen component slugs that exist on the page (others are ignored: the form only
    offers the page's own)."""
    if not wanted:
        return []
    known = set(
        session.scalars(select(StatusComponent.slug).where(StatusComponent.page_id == page.id))
    )
    return sorted({w for w in wanted if w in known})


def _language(page: StatusPage, language: str | None) -> str:
    if language in subscriber_texts.LANGUAGES:
        return str(language)
    return page.language if page.language in subscriber_texts.LANGUAGES else "en"


def _send_confirmation(
    session: Session, settings: Settings, page: StatusPage, sub: StatusSubscriber, now: datetime
) -> bool:
    """Write the confirmation e-mail unless one went out in this :data:`RESEND_EVERY` bucket or
    :data:`MAILS_PER_DAY` already went out today; True if one was written."""
    prefix = f"status-confirm:{sub.id}:"
    bucket = int(now.timestamp() // RESEND_EVERY.total_seconds())
    # The day's possible keys, looked up by the unique index (no LIKE over the whole outbox).
    per_day = int(timedelta(days=1) / RESEND_EVERY)
    keys = [f"{prefix}{b}" for b in range(bucket - per_day + 1, bucket + 1)]
    today = session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.idempotency_key.in_(keys))
    )
    if (today or 0) >= MAILS_PER_DAY:
        return False
    token = tokens.sign_link(
        _keys(session, settings).signing, tokens.CONFIRM, sub.id, sub.token_hash, now
    )
    mail = subscriber_texts.confirm_mail(sub.language, page.name)
    label = subscriber_texts.texts(sub.language)["mail_confirm_link"]
    row = subscriber_outbox.message_row(
        key=f"{prefix}{bucket}",
        channel="email",
        address=sub.address,
        ref=f"status-{page.slug}",
        severity="none",
        subject=mail.subject,
        text=mail.text,
        links=[("confirm", label, link_url(settings, page, tokens.CONFIRM, token))],
        step="status:confirm",
        now=now,
    )
    return subscriber_outbox.insert(session, [row]) > 0


def _by_address(session: Session, page: StatusPage, address: str) -> StatusSubscriber | None:
    """Looked up by the unique index (the address as normalised: domain in lower case)."""
    return session.scalar(
        select(StatusSubscriber).where(
            StatusSubscriber.page_id == page.id,
            StatusSubscriber.kind == "email",
            StatusSubscriber.address == address,
        )
    )


def _create(
    session: Session,
    page: StatusPage,
    address: str,
    chosen: list[str],
    lang: str,
    source: str | None,
    now: datetime,
) -> StatusSubscriber:
    """A pending subscriber; when a simultaneous request made the same one first, that one."""
    sub = StatusSubscriber(
        page_id=page.id,
        kind="email",
        address=address,
        components=chosen,
        language=lang,
        token_hash=tokens.new_token_hash(),
        created_at=now,
        confirmed_at=None,
        unsubscribed_at=None,
        source=(source or "")[:64] or None,
    )
    try:
        with session.begin_nested():
            session.add(sub)
            session.flush()
    except IntegrityError:
        found = _by_address(session, page, address)
        if found is None:
            raise
        return found
    return sub


def subscribe(
    session: Session,
    settings: Settings,
    page: StatusPage,
    email: str,
    components: Sequence[str] = (),
    language: str | None = None,
    source: str | None = None,
) -> None:
    """Ask ``email`` to confirm a subscription to ``page`` (see the module docstring for why
    this answers nothing). Raises ValidationFailed only for an address that cannot be one."""
    address = normalise_email(email)
    if address is None:
        raise ValidationFailed("not an e-mail address")
    now = clock.now()
    chosen = _components(session, page, components)
    lang = _language(page, language)
    sub = _by_address(session, page, address)
    if sub is None:
        sub = _create(session, page, address, chosen, lang, source, now)
    elif sub.unsubscribed_at is not None:
        # Subscribing anew: a new generation (older links stop working), confirmed again.
        sub.token_hash, sub.unsubscribed_at, sub.confirmed_at = tokens.new_token_hash(), None, None
        sub.components, sub.language, sub.source = chosen, lang, (source or "")[:64] or None
    elif sub.confirmed_at is not None:
        return  # already receiving updates: nothing changes, nothing is sent
    else:
        sub.components, sub.language = chosen, lang
    session.flush()
    _send_confirmation(session, settings, page, sub, now)
    session.flush()


def live_link(
    session: Session, settings: Settings, page: StatusPage, token: str, purpose: str
) -> StatusSubscriber:
    """The subscriber a link of ``purpose`` is for, or TokenError (also for a link of another
    page, or of an earlier generation of the subscription)."""
    claim = tokens.verify_link(token, _keys(session, settings).verifying, clock.now(), purpose)
    sub = session.get(StatusSubscriber, claim.subscriber_id)
    if sub is None or sub.page_id != page.id or not tokens.binds(claim, sub.token_hash):
        raise tokens.TokenError("no such subscription")
    return sub


def confirm(session: Session, settings: Settings, page: StatusPage, token: str) -> None:
    """Start the subscription (again following the link changes nothing)."""
    sub = live_link(session, settings, page, token, tokens.CONFIRM)
    if sub.unsubscribed_at is not None:
        raise tokens.TokenError("unsubscribed since")
    if sub.confirmed_at is None:
        sub.confirmed_at = clock.now()
    session.flush()


def unsubscribe(session: Session, settings: Settings, page: StatusPage, token: str) -> None:
    """End the subscription (again following the link changes nothing)."""
    sub = live_link(session, settings, page, token, tokens.UNSUBSCRIBE)
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = clock.now()
    session.flush()


def unsubscribe_url(settings: Settings, page: StatusPage, sub: StatusSubscriber, key: str) -> str:
    token = tokens.sign_link(key, tokens.UNSUBSCRIBE, sub.id, sub.token_hash, clock.now())
    return link_url(settings, page, tokens.UNSUBSCRIBE, token)


def add_webhook(
    session: Session,
    settings: Settings,
    page: StatusPage,
    url: str,
    components: Sequence[str] = (),
) -> tuple[StatusSubscriber, str]:
    """A webhook subscriber (confirmed at once: an admin adds it) and its signing secret,
    shown once to the admin who adds it."""
    value = url.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 2000:
        raise ValidationFailed("a webhook URL is http:// or https:// with a host")
    taken = session.scalar(
        select(StatusSubscriber.id).where(
            StatusSubscriber.page_id == page.id,
            StatusSubscriber.kind == "webhook",
            StatusSubscriber.address == value,
        )
    )
    if taken is not None:
        raise ValidationFailed("this URL already receives this page's updates")
    now = clock.now()
    sub = StatusSubscriber(
        page_id=page.id,
        kind="webhook",
        address=value,
        components=_components(session, page, components),
        language=_language(page, None),
        token_hash=tokens.new_token_hash(),
        created_at=now,
        confirmed_at=now,
        unsubscribed_at=None,
        source="admin",
    )
    session.add(sub)
    session.flush()
    return sub, tokens.webhook_secret(_keys(session, settings).signing, sub.id, sub.token_hash)


def remove(session: Session, subscriber_id: int) -> StatusSubscriber:
    sub = session.get(StatusSubscriber, subscriber_id)
    if sub is None:
        raise NotFound(f"no subscriber {subscriber_id}")
    session.delete(sub)
    session.flush()
    return sub


@dataclass(frozen=True)
class Counts:
    """Subscribers of a page by state (``pending``, ``confirmed``, ``unsubscribed``) and kind,
    and confirmed ones by component (``*``: every component)."""

    by_state: dict[str, int]
    by_kind: dict[str, int]
    by_component: dict[str, int]


def state_of(sub: StatusSubscriber) -> str:
    if sub.unsubscribed_at is not None:
        return "unsubscribed"
    return "confirmed" if sub.confirmed_at is not None else "pending"


def counts(session: Session, page: StatusPage) -> Counts:
    states: Counter[str] = Counter({"pending": 0, "confirmed": 0, "unsubscribed": 0})
    kinds: Counter[str] = Counter({"email": 0, "webhook": 0})
    comps: Counter[str] = Counter()
    for sub in session.scalars(select(StatusSubscriber).where(StatusSubscriber.page_id == page.id)):
        state = state_of(sub)
        states[state] += 1
        if state == "confirmed":
            kinds[sub.kind] += 1
            for slug in sub.components or ["*"]:
                comps[slug] += 1
    return Counts(dict(states), dict(kinds), dict(sorted(comps.items())))


def mask(address: str) -> str:
    """An e-mail address as a non-admin sees it in lists (``a***@example.com``); a webhook URL
    up to its host (the URL itself may be the receiver's credential)."""
    if "@" in address and "://" not in address:
        local, _, domain = address.rpartition("@")
        return f"{local[:1]}***@{domain}"
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.hostname or ''}/…"
