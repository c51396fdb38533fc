"""Which function runs each job kind. Domains provide the functions; the engine only calls them."""

from __future__ import annotations

from plantao.config import Settings, get_settings
from plantao.engine import oncall as oncall_jobs
from plantao.engine.runner import Handler, Step
from plantao.runbooks import execution_jobs


def registry(settings: Settings | None = None) -> dict[str, Handler]:
    handlers: dict[str, Handler] = {}
    handlers.update(execution_jobs.handlers(settings or get_settings()))
    handlers.update(
        {"oncall.escalate": oncall_jobs.escalate, "oncall.heartbeat": oncall_jobs.heartbeat}
    )
    return handlers


def steps(settings: Settings | None = None) -> list[Step]:
    """Set-based steps run once per engine cycle besides jobs: the intake inbox, the outbox."""
    from plantao.engine.apply_inbox import InboxStep
    from plantao.engine.deliver import DeliveryStep

    settings = settings or get_settings()
    return [InboxStep(settings), DeliveryStep(settings)]
