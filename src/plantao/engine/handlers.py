"""Every job kind the engine runs, with its handler and urgency, and the steps of a cycle.

Domains name their kinds and provide the functions; the engine only calls them.
"""

from __future__ import annotations

from plantao.command import cadence, reminding
from plantao.config import Settings, get_settings
from plantao.engine import oncall as oncall_jobs
from plantao.engine.apply_inbox import InboxStep
from plantao.engine.comms_fanout import CommsFanoutStep
from plantao.engine.delivery_step import DeliveryStep
from plantao.engine.handoff_step import HandoffStep
from plantao.engine.kpi_rollup_step import KpiRollupStep
from plantao.engine.reactions import ReactionStep
from plantao.engine.routine_step import RoutineStep
from plantao.engine.status_fanout_step import StatusFanoutStep
from plantao.engine.status_snapshot_step import StatusSnapshotStep
from plantao.engine.step import JobKind, Step, by_name
from plantao.engine.weekly_review_step import WeeklyReviewStep
from plantao.oncall import escalations, heartbeats, snooze, unresolved
from plantao.postmortems import reminding as postmortem_reminding
from plantao.postmortems import starting as postmortem_starting
from plantao.postmortems import weekly_schedule
from plantao.runbooks import linking, step_jobs, step_requests
from plantao.statuspage import maintenance_jobs as status_maintenance_jobs


def registry(settings: Settings | None = None) -> dict[str, JobKind]:
    """Every job kind, keyed by name; the urgent ones are the timers that page people."""
    conf = settings or get_settings()
    return by_name(
        JobKind(escalations.JOB_KIND, oncall_jobs.escalate, urgent=True),
        JobKind(heartbeats.JOB_KIND, oncall_jobs.heartbeat, urgent=True),
        JobKind(snooze.JOB_KIND, snooze.end_job, urgent=True),
        JobKind(unresolved.JOB_KIND, unresolved.run_job, urgent=True),
        JobKind(cadence.JOB_KIND, reminding.remind_job, urgent=True),
        JobKind(postmortem_starting.JOB_KIND, postmortem_starting.start_job),
        JobKind(postmortem_reminding.POSTMORTEM_JOB, postmortem_reminding.postmortem_job),
        JobKind(postmortem_reminding.ACTION_JOB, postmortem_reminding.action_job),
        JobKind(
            weekly_schedule.JOB_KIND,
            lambda factory, job: weekly_schedule.run_job(factory, job, conf.base_url),
        ),
        JobKind(linking.LINK_JOB, lambda factory, job: linking.link_job(factory, job, conf)),
        JobKind(
            step_requests.STEP_RUN_JOB,
            lambda factory, job: step_jobs.run_step(factory, job, conf),
        ),
        JobKind(status_maintenance_jobs.JOB_KIND, status_maintenance_jobs.boundary_job),
    )


def steps(settings: Settings | None = None) -> list[Step]:
    """Set-based steps run once per engine cycle besides jobs, in this order: the intake inbox,
    the reactions to what it (and every other writer) changed, then (after the urgent jobs)
    the outbox."""
    settings = settings or get_settings()
    return [
        InboxStep(settings),
        ReactionStep(),
        CommsFanoutStep(settings),
        StatusFanoutStep(settings),
        HandoffStep(),
        DeliveryStep(settings),
        WeeklyReviewStep(),
        StatusSnapshotStep(settings),
        KpiRollupStep(),
        RoutineStep(),
    ]
