"""Finding status pages: the default ``public`` page at ``/status`` (created on first need, so
an installation that configured nothing still has one), other pages at ``/status/<slug>`` or on
their own host name."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.config import get_settings
from plantao.statuspage.models import StatusPage

DEFAULT_SLUG = "public"
#: Slugs a page may not take: they are the public routes under ``/status/``.
RESERVED = frozenset(
    {"feed.atom", "feed.rss", "incidents", "history", "subscribe", "unsubscribe", "confirm"}
)


def path_of(slug: str) -> str:
    return "/status" if slug == DEFAULT_SLUG else f"/status/{slug}"


def by_slug(session: Session, slug: str) -> StatusPage | None:
    return session.scalar(select(StatusPage).where(StatusPage.slug == slug))


def by_host(session: Session, host: str) -> StatusPage | None:
    name = host.split(":", 1)[0].strip().lower()
    return session.scalar(select(StatusPage).where(StatusPage.host == name)) if name else None


def ensure_default(session: Session) -> StatusPage:
    """The ``public`` page, created with the installation's language when missing."""
    page = by_slug(session, DEFAULT_SLUG)
    if page is None:
        page = StatusPage(
            slug=DEFAULT_SLUG,
            name="Status",
            audience="public",
            host=None,
            language=get_settings().language,
            branding={},
            updated_at=clock.now(),
        )
        session.add(page)
        session.flush()
    return page
