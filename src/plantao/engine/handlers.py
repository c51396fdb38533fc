"""Which function runs each job kind. Domains provide the functions; the engine only calls them."""

from __future__ import annotations

from plantao.config import Settings, get_settings
from plantao.engine import oncall as oncall_jobs
from plantao.engine.apply_inbox import InboxStep
from plantao.engine.delivery_step import DeliveryStep
from plantao.engine.reactions import ReactionStep
from plantao.engine.step import Handler, Step
from plantao.runbooks import linking, step_jobs, step_requests


def registry(settings: Settings | None = None) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    conf = settings or get_settings()
    handlers.update(
        {
            linking.LINK_JOB: lambda factory, job: linking.link_job(factory, job, conf),
            step_requests.STEP_RUN_JOB: lambda factory, job: step_jobs.run_step(factory, job, conf),
        }
    )
    handlers.update(
        {"oncall.escalate": oncall_jobs.escalate, "oncall.heartbeat": oncall_jobs.heartbeat}
    )
    return handlers


def steps(settings: Settings | None = None) -> list[Step]:
    """Set-based steps run once per engine cycle besides jobs, in this order: the intake inbox,
    the reactions to what it (and every other writer) changed, then (after the urgent jobs)
    the outbox."""
    settings = settings or get_settings()
    return [InboxStep(settings), ReactionStep(), DeliveryStep(settings)]
