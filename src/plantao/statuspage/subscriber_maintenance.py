"""Telling subscribers about maintenance shown on their page: when it is scheduled (up to a
week ahead, like the page shows it), when it starts and when it is completed.

The engine's status fan-out step calls :func:`notify` every cycle. Each window shown on a page
is looked at in the phase the page shows now (``plantao.statuspage.maintenance_times``); a phase
of an occurrence not yet in the row's ``notified`` (``{"<phase>:<start unix>": "<when>"}``)
writes one outbox row per confirmed subscriber whose components meet the window's (none: every
component), then is recorded. Idempotency keys per window, phase, occurrence and subscriber
make a second engine's run write nothing. A ``completed`` phase of an occurrence nobody was
told about (the window was shown on the page only after it ended, or subscriptions started
since) is recorded without mailing anyone: news of something over is not news.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.config import Settings
from plantao.oncall.models import Silence
from plantao.statuspage import maintenance, maintenance_times, subscriber_outbox, subscriber_texts
from plantao.statuspage import subscriptions as subs
from plantao.statuspage.models import StatusMaintenance, StatusPage, StatusSubscriber

__all__ = ["notify"]


def _subscribers(session: Session, page_ids: list[int]) -> dict[int, list[StatusSubscriber]]:
    out: dict[int, list[StatusSubscriber]] = {p: [] for p in page_ids}
    for sub in session.scalars(
        select(StatusSubscriber)
        .where(
            StatusSubscriber.page_id.in_(page_ids),
            StatusSubscriber.confirmed_at.is_not(None),
            StatusSubscriber.unsubscribed_at.is_(None),
        )
        .order_by(StatusSubscriber.id)
    ):
        out[sub.page_id].append(sub)
    return out


def notify(session: Session, settings: Settings, key: str, now: datetime) -> int:
    """Write the rows of every phase due now; returns how many phases were recorded."""
    windows = list(
        session.execute(
            select(StatusMaintenance, Silence).join(
                Silence, Silence.id == StatusMaintenance.silence_id
            )
        ).tuples()
    )
    due: list[tuple[StatusMaintenance, str, datetime, datetime | None]] = []
    lo, hi = now - maintenance_times.KEPT, now + maintenance_times.AHEAD
    for row, silence in windows:
        picked = maintenance_times.shown(maintenance.window_spans(silence, lo, hi), now)
        if picked is None:
            continue
        (start, end), phase = picked
        if f"{phase}:{int(start.timestamp())}" not in (row.notified or {}):
            due.append((row, phase, start, end))
    if not due:
        return 0
    page_ids = sorted({row.page_id for row, *_ in due})
    pages = {
        p.id: p for p in session.scalars(select(StatusPage).where(StatusPage.id.in_(page_ids)))
    }
    subscribers = _subscribers(session, page_ids)
    rows: list[dict[str, Any]] = []
    for row, phase, start, end in due:
        occurrence = int(start.timestamp())
        told_before = any(k.endswith(f":{occurrence}") for k in (row.notified or {}))
        if phase != "completed" or told_before:
            page = pages[row.page_id]
            for sub in subscribers[row.page_id]:
                if (
                    sub.components
                    and row.components
                    and not set(sub.components) & set(row.components)
                ):
                    continue
                rows.append(_row(settings, page, row, sub, phase, start, end, key, now))
        row.notified = {**(row.notified or {}), f"{phase}:{occurrence}": now.isoformat()}
    subscriber_outbox.insert(session, rows, count=False)
    session.flush()
    return len(due)


def _row(
    settings: Settings,
    page: StatusPage,
    window: StatusMaintenance,
    sub: StatusSubscriber,
    phase: str,
    start: datetime,
    end: datetime | None,
    key: str,
    now: datetime,
) -> dict[str, Any]:
    mail = subscriber_texts.maintenance_mail(
        sub.language, page.name, phase, window.title, window.body, start, end
    )
    words = subscriber_texts.texts(sub.language)
    links: list[subscriber_outbox.Link] = [("view", words["back"], subs.page_url(settings, page))]
    if sub.kind == "email":
        links.append(
            (
                "unsubscribe",
                words["mail_unsub_link"],
                subs.unsubscribe_url(settings, page, sub, key),
            )
        )
    occurrence = int(start.timestamp())
    return subscriber_outbox.message_row(
        key=f"status-maint:{window.id}:{phase}:{occurrence}:{sub.id}",
        channel=sub.kind,
        address=sub.address,
        ref=f"status-maintenance-{window.id}",
        severity="maintenance",
        subject=mail.subject,
        text=mail.text,
        links=links,
        step=f"status-maintenance:{window.id}:{phase}",
        now=now,
    )
