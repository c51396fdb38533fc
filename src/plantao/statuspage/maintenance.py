"""Scheduled maintenance on a status page: maintenance windows (``oncall_silences``) the team
chose to show (opt-in per window, a ``StatusMaintenance`` row per page), in public words.

A window shows as ``scheduled`` up to a week ahead, ``in_progress`` while it runs (its components
are ``under_maintenance`` unless an incident makes them worse) and ``completed`` for three days
after; a recurring window shows its current or next occurrence. The window's times are the
pager's (``oncall.window_store``), so a window ended early ends on the page too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.config import get_settings
from plantao.errors import NotFound, ValidationFailed
from plantao.oncall.models import Silence
from plantao.oncall.window_store import recurrence_from_dict
from plantao.statuspage import maintenance_times, page_state
from plantao.statuspage.models import StatusComponent, StatusMaintenance, StatusPage
from plantao.statuspage.page_view import MaintenanceView
from plantao.statuspage.pages import path_of

ORDER = ("in_progress", "scheduled", "completed")


def window_spans(silence: Silence, lo: datetime, hi: datetime) -> list[maintenance_times.Span]:
    """The spans of ``silence`` overlapping ``[lo, hi)``."""
    rule = None if silence.recurrence is None else recurrence_from_dict(silence.recurrence)
    return maintenance_times.spans(
        silence.starts_at, silence.ends_at, rule, silence.ended_at, lo, hi
    )


def shown_windows(session: Session, page_id: int) -> list[tuple[StatusMaintenance, Silence]]:
    query = (
        select(StatusMaintenance, Silence)
        .join(Silence, Silence.id == StatusMaintenance.silence_id)
        .where(StatusMaintenance.page_id == page_id)
        .order_by(StatusMaintenance.id)
    )
    return [(m, s) for m, s in session.execute(query).tuples()]


def url_of(page: StatusPage, maintenance_id: int) -> str:
    base = get_settings().base_url.rstrip("/")
    return f"{base}{path_of(page.slug)}#maintenance-{maintenance_id}"


def views(session: Session, page: StatusPage, now: datetime) -> list[MaintenanceView]:
    """What the page shows: in progress first, then upcoming (soonest first), then completed
    (latest first)."""
    lo = now - maintenance_times.KEPT
    hi = now + maintenance_times.AHEAD
    out: list[MaintenanceView] = []
    for row, silence in shown_windows(session, page.id):
        picked = maintenance_times.shown(window_spans(silence, lo, hi), now)
        if picked is None:
            continue
        (start, end), status = picked
        out.append(
            MaintenanceView(
                id=row.id,
                title=row.title,
                body=row.body,
                status=status,
                scheduled_for=start,
                # A window without a planned end shows its start until someone ends it.
                scheduled_until=end if end is not None else start,
                components=tuple(row.components),
                created_at=row.created_at,
                updated_at=max(row.created_at, silence.ended_at or row.created_at),
                url=url_of(page, row.id),
            )
        )

    def key(view: MaintenanceView) -> tuple[int, float]:
        stamp = view.scheduled_for.timestamp()
        return ORDER.index(view.status), -stamp if view.status == "completed" else stamp

    return sorted(out, key=key)


def under_maintenance(session: Session, page_id: int, now: datetime) -> set[str]:
    """Slugs of the page's components in a window in progress at ``now``."""
    slugs: set[str] = set()
    for row, silence in shown_windows(session, page_id):
        for start, end in window_spans(silence, now, now + maintenance_times.KEPT):
            if start <= now and (end is None or now < end):
                slugs.update(row.components)
    return slugs


def next_boundary(session: Session, now: datetime) -> datetime | None:
    """The next start or end of any shown window after ``now`` (within a week): when the
    components' statuses must be recomputed."""
    rows = session.execute(
        select(StatusMaintenance.silence_id, Silence)
        .join(Silence, Silence.id == StatusMaintenance.silence_id)
        .where(Silence.ended_at.is_(None))
    ).tuples()
    soonest: datetime | None = None
    for _, silence in rows:
        for start, end in window_spans(silence, now, now + maintenance_times.AHEAD):
            for at in (start, end):
                if at is not None and at > now and (soonest is None or at < soonest):
                    soonest = at
    return soonest


@dataclass(frozen=True)
class Announcement:
    """What a window says on a page (validated by the caller's schema or the file)."""

    page: str
    title: str
    body: str
    components: tuple[str, ...]


def _check_components(session: Session, page: StatusPage, slugs: tuple[str, ...]) -> None:
    known = set(
        session.scalars(select(StatusComponent.slug).where(StatusComponent.page_id == page.id))
    )
    unknown = sorted(set(slugs) - known)
    if unknown:
        raise ValidationFailed(
            f"page {page.slug!r} has no component {', '.join(map(repr, unknown))}"
        )


def announce(session: Session, silence_id: int, what: Announcement) -> StatusMaintenance:
    """Show window ``silence_id`` on page ``what.page`` (replacing what it said there)."""
    silence = session.get(Silence, silence_id)
    if silence is None:
        raise NotFound(f"maintenance window {silence_id} does not exist")
    page = session.scalar(select(StatusPage).where(StatusPage.slug == what.page))
    if page is None:
        raise NotFound(f"status page {what.page!r} does not exist")
    _check_components(session, page, what.components)
    row = session.scalar(
        select(StatusMaintenance).where(
            StatusMaintenance.silence_id == silence_id, StatusMaintenance.page_id == page.id
        )
    )
    if row is None:
        row = StatusMaintenance(
            silence_id=silence_id, page_id=page.id, created_at=clock.now(), notified={}
        )
        session.add(row)
    row.title = what.title
    row.body = what.body
    row.components = list(what.components)
    session.flush()
    page_state.touch(session, [page.id])
    return row


def withdraw(session: Session, silence_id: int, page_slug: str | None = None) -> list[int]:
    """Stop showing window ``silence_id`` (on one page, or on all); returns the page ids."""
    query = select(StatusMaintenance).where(StatusMaintenance.silence_id == silence_id)
    if page_slug is not None:
        query = query.join(StatusPage, StatusPage.id == StatusMaintenance.page_id).where(
            StatusPage.slug == page_slug
        )
    rows = list(session.scalars(query))
    if not rows:
        raise NotFound(f"maintenance window {silence_id} is not on a status page")
    page_ids = sorted({r.page_id for r in rows})
    for row in rows:
        session.delete(row)
    session.flush()
    page_state.touch(session, page_ids)
    return page_ids
