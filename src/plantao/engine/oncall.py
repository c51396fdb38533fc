"""Job handlers for on-call timers: escalation steps and heartbeat deadlines.

Each job runs in its own transaction (the engine is an entry point); the domain functions
lock the rows they act on and compare fencing tokens, so a stale or duplicated job is a no-op.
"""

from __future__ import annotations

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.jobs.service import Claimed
from plantao.oncall import escalations, heartbeats
from plantao.oncall import service as oncall_service

log = structlog.get_logger("plantao.engine.oncall")


def escalate(factory: sessionmaker[Session], job: Claimed) -> None:
    incident_id, token = int(job.payload["incident_id"]), int(job.payload["token"])
    outcome = run_transaction(factory, lambda s: oncall_service.run_timer(s, incident_id, token))
    log.info(escalations.JOB_KIND, incident=incident_id, fence=token, outcome=outcome)


def heartbeat(factory: sessionmaker[Session], job: Claimed) -> None:
    heartbeat_id, token = int(job.payload["heartbeat_id"]), int(job.payload["token"])
    outcome = run_transaction(
        factory, lambda s: oncall_service.check_heartbeat(s, heartbeat_id, token)
    )
    log.info(heartbeats.JOB_KIND, heartbeat=heartbeat_id, fence=token, outcome=outcome)
