"""Components go under maintenance when a shown window starts and come back when it ends, with
nobody touching anything: a durable job waits for the next start or end of any shown window,
recomputes the components of every page showing maintenance, touches the pages (so the engine
re-renders them and the "scheduled" card becomes "in progress"), then waits for the next one.

One job at a time (a dedup key per boundary); announcing or withdrawing a window schedules the
chain again, so an earlier boundary is never missed behind a later one.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import run_transaction
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.statuspage import components, maintenance, page_state
from plantao.statuspage.models import StatusMaintenance, StatusPage

JOB_KIND = "statuspage.maintenance_boundary"
log = structlog.get_logger(__name__)


def _key(at: datetime) -> str:
    return f"{JOB_KIND}:{at.isoformat()}"


def schedule_next(session: Session, now: datetime | None = None) -> datetime | None:
    """Enqueue the job for the next boundary after ``now`` (once); returns its time."""
    at = maintenance.next_boundary(session, now or clock.now())
    if at is None:
        return None
    key = _key(at)
    live = session.scalar(
        select(Job.id).where(Job.dedup_key == key, Job.state.in_(("pending", "running")))
    )
    if live is None:
        job_service.enqueue(session, JOB_KIND, {"at": at.isoformat()}, due_at=at, dedup_key=key)
    return at


def _pages_with_maintenance(session: Session) -> list[int]:
    return sorted(set(session.scalars(select(StatusMaintenance.page_id))))


def run_boundary(session: Session) -> None:
    """Recompute every page that shows maintenance, re-render them, schedule the next one."""
    page_ids = _pages_with_maintenance(session)
    components.recompute(session, page_ids)
    # The cards change state (scheduled → in progress → completed) even when no component does.
    page_state.touch(session, page_ids)
    schedule_next(session)


def boundary_job(factory: sessionmaker[Session], job: Claimed) -> None:
    """The ``statuspage.maintenance_boundary`` handler: one transaction."""
    run_transaction(factory, run_boundary)
    log.info(JOB_KIND, at=job.payload.get("at"))


def after_change(session: Session, page_ids: list[int]) -> None:
    """After a window was announced, changed or withdrawn: components now, the next boundary."""
    known = set(session.scalars(select(StatusPage.id).where(StatusPage.id.in_(page_ids))))
    components.recompute(session, sorted(known))
    schedule_next(session)
