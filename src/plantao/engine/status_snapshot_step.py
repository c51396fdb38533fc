"""Keeps every status page's snapshots current: the public routes serve only these.

Each cycle one query finds the pages to render: those whose ``StatusPageState.version`` moved
past ``rendered_version`` (a publication, an update, a component or a maintenance changed what
they show), those never rendered, and every page whose last render is older than
:data:`EVERY_SECONDS` (the 90-day bars, "the last 14 days" and maintenance that starts by the
clock change without any write). Each page renders in a transaction of its own that locks its
state row first (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: with several engines, one renders a
page and the others skip it), writes the snapshot rows whose bytes changed, then records the
version it rendered. After the commit the artifacts are written to the snapshot directory, so
a web process started while the database is down still has them.

Work done is reported only for pages whose version moved: the periodic refresh must not keep
the engine loop from idling.
"""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial
from pathlib import Path

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings, get_settings
from plantao.db import run_transaction
from plantao.jobs import leasing
from plantao.statuspage import pages, snapshots
from plantao.statuspage.models import StatusPage, StatusPageState

log = structlog.get_logger("plantao.engine.status_snapshot")
#: Every page is rendered again at least this often.
EVERY_SECONDS = 60.0
#: Pages rendered per cycle at most (each costs a few queries and a few templates).
BATCH = 20


class StatusSnapshotStep:
    before_jobs = False

    def __init__(self, settings: Settings | None = None, every: float = EVERY_SECONDS) -> None:
        self.settings = settings or get_settings()
        self.every = every
        self.directory: Path = snapshots.directory_of(self.settings)
        self._next_sweep = 0.0

    def __call__(self, factory: sessionmaker[Session], worker_id: str, /) -> int:
        sweep = time.monotonic() >= self._next_sweep
        if sweep:  # a page added without a state row waits at most until the next sweep
            run_transaction(factory, _ensure_states)
        due = run_transaction(factory, lambda s: _due(s, self.every if sweep else None))
        if sweep:
            self._next_sweep = time.monotonic() + min(self.every / 4, 15.0)
        moved = 0
        rendered_any = False
        for page_id in due:
            result = run_transaction(factory, partial(_render, page_id=page_id, every=self.every))
            if result is None:
                continue
            entry, artifacts, was_moved = result
            rendered_any = True
            moved += int(was_moved)
            self._write(entry.id, artifacts)
        if rendered_any:
            run_transaction(factory, self._write_pages)
        return moved

    def _write(self, page_id: int, artifacts: list[snapshots.Artifact]) -> None:
        try:
            snapshots.write_files(self.directory, page_id, artifacts)
        except OSError as exc:  # the database copy still serves; say why the files lag
            log.warning(
                "status_snapshot.files_failed", directory=str(self.directory), error=str(exc)
            )

    def _write_pages(self, session: Session) -> None:
        entries = [snapshots.entry_of(p) for p in session.scalars(select(StatusPage))]
        try:
            snapshots.write_pages(self.directory, entries)
        except OSError as exc:
            log.warning(
                "status_snapshot.files_failed", directory=str(self.directory), error=str(exc)
            )


def _ensure_states(session: Session) -> None:
    """The default page exists and every page has a state row (a new page starts unrendered)."""
    pages.ensure_default(session)
    missing = session.scalars(
        select(StatusPage.id)
        .outerjoin(StatusPageState, StatusPageState.page_id == StatusPage.id)
        .where(StatusPageState.page_id.is_(None))
    ).all()
    for page_id in missing:
        session.add(StatusPageState(page_id=page_id, version=1, rendered_version=0))
    session.flush()


def _due(session: Session, every: float | None) -> list[int]:
    """Pages whose version moved or that were never rendered; with ``every``, also those
    rendered longer ago than that."""
    stale = [StatusPageState.version != StatusPageState.rendered_version]
    stale.append(StatusPageState.rendered_at.is_(None))
    if every is not None:
        stale.append(StatusPageState.rendered_at < clock.now() - timedelta(seconds=every))
    return list(
        session.scalars(
            select(StatusPageState.page_id)
            .where(or_(*stale))
            .order_by(StatusPageState.page_id)
            .limit(BATCH)
        )
    )


def _render(
    session: Session, *, page_id: int, every: float
) -> tuple[snapshots.PageEntry, list[snapshots.Artifact], bool] | None:
    """Render one page under its state row's lock; None when another engine holds it or it no
    longer needs rendering."""
    now = clock.now()
    state = session.scalar(
        leasing.for_update(
            session,
            select(StatusPageState).where(StatusPageState.page_id == page_id),
            skip_locked=True,
        )
    )
    if state is None:
        return None
    moved = state.version != state.rendered_version or state.rendered_at is None
    rendered_at = state.rendered_at
    if rendered_at is not None and rendered_at.tzinfo is None:
        rendered_at = rendered_at.replace(tzinfo=now.tzinfo)
    fresh = rendered_at is not None and rendered_at > now - timedelta(seconds=every)
    if not moved and fresh:
        return None  # another engine rendered it since we looked
    page = session.get(StatusPage, page_id)
    if page is None:
        return None
    version = state.version
    artifacts = snapshots.render_page(session, page, now)
    snapshots.save(session, page_id, artifacts, now)
    state.rendered_version = version
    state.rendered_at = now
    session.flush()
    return snapshots.entry_of(page), artifacts, moved
