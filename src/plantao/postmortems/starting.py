"""The engine starts the postmortem an incident owes when it is resolved.

The reaction step (``engine/reactions.py``) hands over the incidents it saw resolved;
:func:`schedule` keeps those that owe a postmortem (their severity has an RCA window: Sev1–3
by default; Sev4's is optional and only started by hand) and have none, and enqueues one
``postmortems.start`` job each, deduplicated per incident. The job (:func:`start_job`) runs
:func:`~plantao.postmortems.records.ensure` in its own transaction, so drafting a long
postmortem never holds up the reactions to a storm.

A reopened and re-resolved incident keeps the postmortem it has, with its due date: ``ensure``
returns the existing one and nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import run_transaction
from plantao.incidents import severity_config
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident
from plantao.jobs import service as job_service
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.postmortems import obligations, records
from plantao.postmortems.models import Postmortem

log = structlog.get_logger("plantao.postmortems.starting")

JOB_KIND = "postmortems.start"
ACTOR = "plantao"
_ENDED = (Status.RESOLVED, Status.CLOSED)


def dedup_key(incident_id: int) -> str:
    return f"{JOB_KIND}:{incident_id}"


def schedule(session: Session, incidents: Sequence[Incident]) -> int:
    """Enqueue a start job for each of ``incidents`` that is resolved, owes a postmortem and
    has none (nor a start job waiting); returns how many were enqueued."""
    ended = {i.id: i for i in incidents if i.status in _ENDED}
    if not ended:
        return 0
    have = set(
        session.scalars(select(Postmortem.incident_id).where(Postmortem.incident_id.in_(ended)))
    )
    keys = {dedup_key(i): i for i in ended if i not in have}
    if not keys:
        return 0
    waiting = set(
        session.scalars(
            select(Job.dedup_key).where(
                Job.dedup_key.in_(keys), Job.state.in_(("pending", "running"))
            )
        )
    )
    matrix = severity_config.severity_matrix(session)
    jobs = [
        job_service.NewJob(JOB_KIND, {"incident_id": incident_id}, dedup_key=key)
        for key, incident_id in sorted(keys.items(), key=lambda kv: kv[1])
        if key not in waiting and obligations.owes(matrix, ended[incident_id].severity)
    ]
    job_service.enqueue_many(session, jobs)
    return len(jobs)


def start(session: Session, incident_id: int) -> str:
    """The job body; returns what happened (``started``, ``exists``, ``optional``,
    ``reopened``, ``gone``)."""
    incident = session.get(Incident, incident_id)
    if incident is None:
        return "gone"
    if records.for_incident(session, incident_id) is not None:
        return "exists"
    if incident.status not in _ENDED:
        return "reopened"  # resolving it again schedules the start again
    if not obligations.of(session, incident).required:
        return "optional"
    _, created = records.ensure(session, incident, actor=ACTOR)
    return "started" if created else "exists"


def start_job(factory: sessionmaker[Session], job: Claimed) -> None:
    """The ``postmortems.start`` handler: one transaction; a race with a person starting it
    at the same moment loses on the unique index and the retry finds theirs."""
    incident_id = int(job.payload["incident_id"])
    outcome = run_transaction(factory, lambda s: start(s, incident_id))
    log.info(JOB_KIND, incident=incident_id, outcome=outcome)
