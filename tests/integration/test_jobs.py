"""The durable job queue and the engine loop: leases, retries, fencing, disjoint claims."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.command import cadence
from plantao.db import run_transaction
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop, Handler, JobKind, Retry, by_name
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.oncall import escalations, heartbeats, snooze, unresolved
from plantao.postmortems import reminding, starting, weekly_schedule
from plantao.runbooks import linking, step_requests
from plantao.statuspage import maintenance_jobs as status_maintenance_jobs
from tests.factories.threads import run_together

ECHO = "test.echo"  # a kind of these tests' own, not urgent


def _enqueue(factory: sessionmaker[Session], n: int = 1, **kw: object) -> list[int]:
    def work(s: Session) -> list[int]:
        return [job_service.enqueue(s, ECHO, {"n": i}, **kw).id for i in range(n)]  # type: ignore[arg-type]

    return run_transaction(factory, work)


def _job(factory: sessionmaker[Session], job_id: int) -> Job:
    with factory() as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def test_engine_runs_due_jobs_once(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A due job runs once and is marked done; a future job waits for its time."""
    seen: list[int] = []
    # No steps: the count is the jobs' alone (the status page step renders the default page
    # on an engine's first cycle, which is work too).
    loop = EngineLoop(
        factory, by_name(JobKind(ECHO, lambda f, j: seen.append(j.payload["n"]))), steps=[]
    )
    now_id = _enqueue(factory)[0]
    later_id = _enqueue(factory, due_at=clock.now() + timedelta(minutes=5))[0]
    assert loop.run_once() == 1
    assert loop.run_once() == 0
    assert seen == [0] and _job(factory, now_id).state == "done"
    clock.advance(timedelta(minutes=5))
    assert loop.run_once() == 1 and _job(factory, later_id).state == "done"


def test_retry_then_dead(factory: sessionmaker[Session], frozen: datetime) -> None:
    """A handler asking to retry is rescheduled with backoff, then dead after max attempts."""

    def always_retry(_f: sessionmaker[Session], _j: Claimed) -> None:
        raise Retry("receiver down", after=timedelta(seconds=10))

    loop = EngineLoop(factory, by_name(JobKind(ECHO, always_retry)))
    job_id = _enqueue(factory, max_attempts=2)[0]
    loop.run_once()
    job = _job(factory, job_id)
    assert job.state == "pending" and job.last_error == "receiver down"
    assert job.due_at == clock.now() + timedelta(seconds=10)
    clock.advance(timedelta(seconds=10))
    loop.run_once()
    assert _job(factory, job_id).state == "dead"
    run_transaction(factory, lambda s: job_service.retry_dead(s, job_id))
    assert _job(factory, job_id).state == "pending"


def test_stale_worker_cannot_complete(factory: sessionmaker[Session], frozen: datetime) -> None:
    """After a lease expires and another worker claims the job, the first one's result is void."""
    job_id = _enqueue(factory)[0]
    first = run_transaction(factory, lambda s: job_service.claim(s, "w1", lease=timedelta(1)))
    assert [c.id for c in first] == [job_id]
    clock.advance(timedelta(days=2))
    second = run_transaction(factory, lambda s: job_service.claim(s, "w2"))
    assert [c.attempt for c in second] == [2]
    assert run_transaction(factory, lambda s: job_service.complete(s, first[0])) is False
    assert run_transaction(factory, lambda s: job_service.complete(s, second[0])) is True


def test_dedup_key_allows_one_live_job(factory: sessionmaker[Session]) -> None:
    """Two live jobs with the same dedup key cannot coexist."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    _enqueue(factory, dedup_key="x")
    with pytest.raises(IntegrityError):
        _enqueue(factory, dedup_key="x")


def test_concurrent_claims_are_disjoint(factory: sessionmaker[Session]) -> None:
    """Four workers claiming at once never take the same job (SKIP LOCKED on PostgreSQL)."""
    _enqueue(factory, 200)

    def worker(i: int) -> list[int]:
        mine: list[int] = []
        while got := run_transaction(factory, lambda s: job_service.claim(s, f"w{i}", limit=7)):
            mine.extend(c.id for c in got)
        return mine

    together = run_together(worker, 4)
    assert together.errors == []
    taken = [job_id for mine in together.results for job_id in mine]
    assert len(taken) == 200 and len(set(taken)) == 200


class _Recorder:
    """A step that records when it ran; ``before_jobs`` like the inbox step when asked."""

    def __init__(self, name: str, order: list[str], *, before_jobs: bool) -> None:
        self.name, self.order, self.before_jobs = name, order, before_jobs

    def __call__(self, factory: sessionmaker[Session], worker_id: str) -> int:
        self.order.append(self.name)
        return 0


def test_cycle_order_inbox_then_timers_then_delivery_then_slow_jobs(
    factory: sessionmaker[Session],
) -> None:
    """One cycle: before-jobs steps, urgent jobs, the other steps, then the other jobs."""
    order: list[str] = []
    loop = EngineLoop(
        factory,
        by_name(
            JobKind(escalations.JOB_KIND, lambda f, j: order.append("escalate"), urgent=True),
            JobKind(ECHO, lambda f, j: order.append("slow job")),
        ),
        steps=[
            _Recorder("deliver", order, before_jobs=False),
            _Recorder("inbox", order, before_jobs=True),
        ],
    )
    run_transaction(factory, lambda s: job_service.enqueue(s, ECHO, {}))
    run_transaction(factory, lambda s: job_service.enqueue(s, escalations.JOB_KIND, {}))
    assert loop.run_once() == 2
    assert order == ["inbox", "escalate", "deliver", "slow job"]


def test_slow_lane_runs_other_jobs_beside_the_cycle(factory: sessionmaker[Session]) -> None:
    """Under run_forever, non-urgent jobs run in the slow-lane thread, urgent ones in the loop."""
    ran_in: dict[str, str] = {}
    done = threading.Event()

    def record(kind: str) -> Handler:
        def handler(f: sessionmaker[Session], j: Claimed) -> None:
            ran_in[kind] = threading.current_thread().name
            if len(ran_in) == 2:
                done.set()

        return handler

    loop = EngineLoop(
        factory,
        by_name(
            JobKind(escalations.JOB_KIND, record("urgent"), urgent=True),
            JobKind(ECHO, record("slow")),
        ),
        steps=[],
        idle=0.05,
    )
    run_transaction(factory, lambda s: job_service.enqueue(s, ECHO, {}))
    run_transaction(factory, lambda s: job_service.enqueue(s, escalations.JOB_KIND, {}))
    stop = threading.Event()
    thread = threading.Thread(target=loop.run_forever, args=(stop,), name="engine-main")
    thread.start()
    try:
        assert done.wait(10)
    finally:
        stop.set()
        thread.join(10)
    assert ran_in == {"urgent": "engine-main", "slow": "plantao-engine-slow"}


def test_registry_declares_each_kind_once_with_its_urgency() -> None:
    """The registry runs every kind the domains enqueue; only the timers that reach people
    (on-call, status-update reminders) are urgent."""
    kinds = registry()
    assert set(kinds) == {
        escalations.JOB_KIND,
        heartbeats.JOB_KIND,
        snooze.JOB_KIND,
        unresolved.JOB_KIND,
        linking.LINK_JOB,
        step_requests.STEP_RUN_JOB,
        cadence.JOB_KIND,
        starting.JOB_KIND,
        reminding.POSTMORTEM_JOB,
        reminding.ACTION_JOB,
        weekly_schedule.JOB_KIND,
        status_maintenance_jobs.JOB_KIND,
    }
    assert {name for name, kind in kinds.items() if kind.urgent} == {
        escalations.JOB_KIND,
        heartbeats.JOB_KIND,
        snooze.JOB_KIND,
        unresolved.JOB_KIND,
        cadence.JOB_KIND,
    }


def test_a_kind_registered_twice_is_refused(factory: sessionmaker[Session]) -> None:
    """Two handlers for one kind, or a kind filed under another name, fail at once."""
    echo = JobKind(ECHO, lambda f, j: None)
    with pytest.raises(ValueError, match="registered twice"):
        by_name(echo, echo)
    with pytest.raises(ValueError, match="registered as"):
        EngineLoop(factory, {"test.other": echo}, steps=[])
