"""Enqueueing, leasing and finishing jobs.

A claim leases a job to one worker (``locked_by`` + the attempt number act as the fencing
token, :mod:`plantao.jobs.leasing`): completion is recorded only if the lease is still that
worker's, so a worker that was presumed dead and comes back cannot overwrite a newer attempt.
On PostgreSQL claims use ``FOR UPDATE SKIP LOCKED`` so several engines never take the same job,
and enqueueing sends a NOTIFY (delivered at commit) that wakes sleeping engines at once. SQLite
runs one engine.

Leases are short (``DEFAULT_LEASE``) and renewed by the engine while it holds the job, so a job
whose engine died is claimed again within one lease rather than after the slowest handler's
timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import WAKE_CHANNEL, wake_engines
from plantao.jobs import leasing
from plantao.jobs.models import Job

CHANNEL = WAKE_CHANNEL
#: Short on purpose: the engine renews the leases of the jobs it runs (``engine/leases.py``),
#: so a job outlives its lease only when its engine died, and is then claimed again this soon.
DEFAULT_LEASE = timedelta(seconds=45)
#: A pending job is due at ``due_at``; a claimed one is ``running`` until its lease ends.
JOBS = leasing.LeasedTable(
    model=Job,
    id=Job.id,
    state=Job.state,
    due_at=Job.due_at,
    lease_until=Job.lease_until,
    locked_by=Job.locked_by,
    attempts=Job.attempts,
    waiting=("pending",),
    leased="running",
)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    worker: str


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    due_at: datetime | None = None,
    dedup_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    job = Job(
        kind=kind,
        payload=payload,
        state="pending",
        due_at=due_at or clock.now(),
        attempts=0,
        max_attempts=max_attempts,
        lease_until=None,
        locked_by=None,
        dedup_key=dedup_key,
        last_error=None,
        created_at=clock.now(),
        finished_at=None,
    )
    session.add(job)
    session.flush()
    wake_engines(session)
    return job


@dataclass(frozen=True)
class NewJob:
    """A job to enqueue with :func:`enqueue_many`; the fields mean what ``enqueue``'s do."""

    kind: str
    payload: dict[str, Any]
    due_at: datetime | None = None
    dedup_key: str | None = None
    max_attempts: int = 5


def enqueue_many(session: Session, jobs: Sequence[NewJob]) -> None:
    """Enqueue ``jobs`` with one INSERT (batched by the driver) instead of a flush per job.

    Intake opening hundreds of incidents in one transaction enqueues two jobs per incident;
    a round trip each was most of its cost. Nothing is returned: callers that need the row
    use :func:`enqueue`.
    """
    if not jobs:
        return
    now = clock.now()
    session.execute(
        insert(Job),
        [
            {
                "kind": job.kind,
                "payload": job.payload,
                "state": "pending",
                "due_at": job.due_at or now,
                "attempts": 0,
                "max_attempts": job.max_attempts,
                "lease_until": None,
                "locked_by": None,
                "dedup_key": job.dedup_key,
                "last_error": None,
                "created_at": now,
                "finished_at": None,
            }
            for job in jobs
        ],
    )
    wake_engines(session)


def claim(
    session: Session,
    worker: str,
    *,
    limit: int = 10,
    lease: timedelta = DEFAULT_LEASE,
    kinds: list[str] | None = None,
) -> list[Claimed]:
    """Lease up to ``limit`` due jobs (and jobs whose lease expired) to ``worker``."""
    now = clock.now()
    where = [Job.kind.in_(kinds)] if kinds else []
    ids: list[int] = leasing.pick(session, JOBS, Job.id, now=now, limit=limit, where=where)
    if not ids:
        return []
    leasing.lease_ids(session, JOBS, ids, worker, now + lease)
    rows = session.execute(
        select(Job.id, Job.kind, Job.payload, Job.attempts).where(Job.id.in_(ids)).order_by(Job.id)
    )
    return [Claimed(r.id, r.kind, r.payload, r.attempts, worker) for r in rows]


def complete(session: Session, claimed: Claimed) -> bool:
    """Mark done; False when the lease was lost (another attempt owns the job now)."""
    result = session.execute(
        update(Job)
        .where(leasing.fenced(JOBS, claimed))
        .values(state="done", finished_at=clock.now(), lease_until=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail(session: Session, claimed: Claimed, error: str, *, retry_in: timedelta | None) -> bool:
    """Record a failure: retry later, or ``dead`` when attempts are exhausted or no retry."""
    job = session.get(Job, claimed.id)
    if job is None:
        return False
    dead = retry_in is None or claimed.attempt >= job.max_attempts
    values: dict[str, Any] = {"last_error": error[:4000], "lease_until": None}
    if dead:
        values |= {"state": "dead", "finished_at": clock.now()}
    else:
        assert retry_in is not None
        values |= {"state": "pending", "due_at": clock.now() + retry_in}
    result = session.execute(update(Job).where(leasing.fenced(JOBS, claimed)).values(**values))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def extend_lease(session: Session, claimed: Claimed, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Renew a running job's lease; False when it was lost (fenced like ``complete``)."""
    result = session.execute(
        update(Job).where(leasing.fenced(JOBS, claimed)).values(lease_until=clock.now() + lease)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def depth_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state))
    return {state: int(n) for state, n in rows.tuples()}


def due_count(session: Session) -> int:
    """Timers that are due and not yet taken: should stay near zero on a healthy engine."""
    count = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.state == "pending", Job.due_at <= clock.now())
    )
    return int(count or 0)


def oldest_due_lag(session: Session) -> timedelta:
    """How late the most overdue pending job is: the engine-cycle lag seen from outside."""
    oldest = session.scalar(
        select(func.min(Job.due_at)).where(Job.state == "pending", Job.due_at <= clock.now())
    )
    return clock.now() - oldest if oldest else timedelta(0)


def get(session: Session, job_id: int) -> Job | None:
    return session.get(Job, job_id)


def retry_dead(session: Session, job_id: int) -> Job | None:
    job = session.get(Job, job_id)
    if job is None or job.state != "dead":
        return job
    job.state = "pending"
    job.due_at = clock.now()
    job.attempts = 0
    job.finished_at = None
    session.flush()
    return job
