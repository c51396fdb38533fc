"""The engine's status fan-out step: every published update reaches the page's subscribers, once.

Publishing (``plantao.statuspage``) writes a ``public_updates`` row with ``notified_at`` NULL
and sends nothing. This step, like the stakeholder fan-out (``comms_fanout``), claims a batch of
such rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: engines running at once take disjoint
batches) and, in one transaction, writes one addressed outbox row per confirmed subscriber of
the page whose components meet the incident's (a subscriber with no components hears of
everything), with the idempotency key ``status-update:<update>:<subscriber>`` (a replay writes
nothing), and sets ``notified_at``. The delivery step sends them with its throttles. Every
:data:`MAINTENANCE_EVERY` seconds it also tells them of maintenance scheduled, started or
completed (``plantao.statuspage.subscriber_maintenance``).

What a row carries is only what the page shows: the public title, status and text, the
public incident's link and the subscriber's unsubscribe link; never the internal incident.
An update of a public incident whose incident was made private since, or one older than
:data:`TOO_OLD` (an installation that turns this on must not mail its history), is marked
without telling anybody.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.auth import keyring
from plantao.config import Settings, get_settings
from plantao.db import run_transaction
from plantao.incidents.models import Incident
from plantao.jobs import leasing
from plantao.statuspage import (
    subscriber_maintenance,
    subscriber_outbox,
    subscriber_texts,
    subscriptions,
)
from plantao.statuspage.models import (
    PublicIncident,
    PublicIncidentComponent,
    PublicUpdate,
    StatusComponent,
    StatusPage,
    StatusSubscriber,
)

BATCH = 20
TOO_OLD = timedelta(days=1)
#: How often maintenance windows are looked at (seconds): phases change on the minute at most.
MAINTENANCE_EVERY = 15.0


class StatusFanoutStep:
    """The engine step; see the module docstring."""

    before_jobs = False

    def __init__(self, settings: Settings | None = None, batch: int = BATCH) -> None:
        self.settings = settings or get_settings()
        self.batch = batch
        self._maintenance_at = 0.0

    def __call__(self, factory: sessionmaker[Session], worker_id: str) -> int:
        done = run_transaction(factory, lambda s: fan_out(s, self.settings, self.batch))
        if time.monotonic() - self._maintenance_at >= MAINTENANCE_EVERY:
            self._maintenance_at = time.monotonic()
            done += run_transaction(factory, lambda s: notify_maintenance(s, self.settings))
        return done


def notify_maintenance(session: Session, settings: Settings) -> int:
    """Maintenance phases due now (``plantao.statuspage.subscriber_maintenance``)."""
    key = keyring.current(session, settings).signing
    return subscriber_maintenance.notify(session, settings, key, clock.now())


def webhook_secrets(session: Session, urls: list[str]) -> dict[str, str]:
    """The delivery step's secret lookup for status webhook subscribers."""
    return subscriber_outbox.webhook_secrets(session, get_settings(), urls)


def _claim(session: Session, limit: int) -> list[PublicUpdate]:
    stmt = (
        select(PublicUpdate)
        .where(PublicUpdate.notified_at.is_(None))
        .order_by(PublicUpdate.id)
        .limit(limit)
    )
    return list(session.scalars(leasing.for_update(session, stmt, skip_locked=True)))


def _affected(session: Session, incident_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {i: set() for i in incident_ids}
    for inc_id, slug in session.execute(
        select(PublicIncidentComponent.public_incident_id, StatusComponent.slug)
        .join(StatusComponent, StatusComponent.id == PublicIncidentComponent.component_id)
        .where(PublicIncidentComponent.public_incident_id.in_(incident_ids))
    ).tuples():
        out[inc_id].add(slug)
    return out


def _hidden(session: Session, incidents: list[PublicIncident]) -> set[int]:
    """Public incidents whose internal incident is private now."""
    ids = sorted({i.incident_id for i in incidents if i.incident_id is not None})
    if not ids:
        return set()
    private = set(
        session.scalars(select(Incident.id).where(Incident.id.in_(ids), Incident.private))
    )
    return {i.id for i in incidents if i.incident_id in private}


def fan_out(session: Session, settings: Settings, limit: int = BATCH) -> int:
    """Fan out up to ``limit`` updates in the caller's transaction; returns how many."""
    claimed = _claim(session, limit)
    if not claimed:
        return 0
    now = clock.now()
    incidents = {
        i.id: i
        for i in session.scalars(
            select(PublicIncident).where(
                PublicIncident.id.in_(sorted({u.public_incident_id for u in claimed}))
            )
        )
    }
    pages = {
        p.id: p
        for p in session.scalars(
            select(StatusPage).where(StatusPage.id.in_({i.page_id for i in incidents.values()}))
        )
    }
    hidden = _hidden(session, list(incidents.values()))
    affected = _affected(session, sorted(incidents))
    subscribers: dict[int, list[StatusSubscriber]] = {p: [] for p in pages}
    for sub in session.scalars(
        select(StatusSubscriber)
        .where(
            StatusSubscriber.page_id.in_(sorted(pages)),
            StatusSubscriber.confirmed_at.is_not(None),
            StatusSubscriber.unsubscribed_at.is_(None),
        )
        .order_by(StatusSubscriber.id)
    ):
        subscribers[sub.page_id].append(sub)
    key = keyring.current(session, settings).signing
    rows: list[dict[str, Any]] = []
    for update in claimed:
        incident = incidents[update.public_incident_id]
        if incident.id in hidden or update.created_at < now - TOO_OLD:
            continue
        slugs = affected[incident.id] | set(update.components or {})
        page = pages[incident.page_id]
        for sub in subscribers[page.id]:
            if sub.components and not slugs & set(sub.components):
                continue
            rows.append(_row(settings, page, incident, update, sub, key, now))
    subscriber_outbox.insert(session, rows, count=False)
    for update in claimed:
        update.notified_at = now
    session.flush()
    return len(claimed)


def _row(
    settings: Settings,
    page: StatusPage,
    incident: PublicIncident,
    update: PublicUpdate,
    sub: StatusSubscriber,
    key: str,
    now: datetime,
) -> dict[str, Any]:
    words = subscriber_texts.texts(sub.language)
    mail = subscriber_texts.update_mail(
        sub.language, page.name, incident.title, update.status, update.body
    )
    view = f"{subscriptions.page_url(settings, page)}/incidents/{incident.id}"
    links: list[subscriber_outbox.Link] = [("view", words["mail_view_link"], view)]
    if sub.kind == "email":
        unsubscribe = subscriptions.unsubscribe_url(settings, page, sub, key)
        links.append(("unsubscribe", words["mail_unsub_link"], unsubscribe))
    return subscriber_outbox.message_row(
        key=f"status-update:{update.id}:{sub.id}",
        channel=sub.kind,
        address=sub.address,
        ref=f"status-{incident.id}",
        severity=incident.impact,
        subject=mail.subject,
        text=mail.text,
        links=links,
        step=f"status-update:{update.id}",
        now=now,
    )
