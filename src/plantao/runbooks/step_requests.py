"""Step runs requested and approved: validation, the guard, approval, queueing.

Nothing runs here. A cleared request becomes a ``runbook_runs`` row plus a ``runbooks.execute``
job in the same transaction; the engine runs it (:mod:`plantao.runbooks.step_jobs`), so a
request handler never waits on a shell and a crash between "approved" and "ran" loses nothing.

Secret parameters are never accepted here: their values would be stored in the job or run rows.
The engine reads them from its own environment (``PLANTAO_RUNBOOK_SECRET_<NAME>``) at run time.

Requests, approvals and refused approvals also land in the audit log (who, via what, from
where), which an auditor reads across incidents; the timeline tells the incident's story.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.config import Settings
from plantao.errors import Conflict, NotFound, PermissionDenied
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.incidents.service import TimelineItem
from plantao.jobs import service as job_service
from plantao.people import audit
from plantao.people.actor import AuditActor
from plantao.runbooks.document import Runbook
from plantao.runbooks.models import RunbookRun
from plantao.runbooks.step_guard import (
    Action,
    Approval,
    Confirmation,
    GuardDecision,
    ParamError,
    check_guard,
    validate_params,
)

#: The job kind that runs a step run, named here only; ``engine/handlers.py`` runs it (slow lane).
STEP_RUN_JOB = "runbooks.execute"
SECRET_ENV_PREFIX = "PLANTAO_RUNBOOK_SECRET_"  # noqa: S105 - a prefix, not a secret


class ExecutionDisabled(Conflict):
    """``PLANTAO_RUNBOOKS_EXECUTION=0``: the server documents steps but runs none."""


def secret_env_name(param: str) -> str:
    return f"{SECRET_ENV_PREFIX}{param.upper()}"


def ensure_enabled(settings: Settings) -> None:
    if not settings.runbooks_execution:
        raise ExecutionDisabled(
            "executable runbook steps are disabled on this server (PLANTAO_RUNBOOKS_EXECUTION=0)"
        )


def public_params(runbook: Runbook, action: Action, values: dict[str, object]) -> dict[str, str]:
    """Validate the non-secret values now, so a typo is a 422 naming the parameter instead of
    a failed run later; secret values sent by the client are refused outright."""
    errors = [
        {
            "param": name,
            "message": "secret: supplied by the engine from "
            f"${secret_env_name(name)}, never through the API",
        }
        for name in values
        if name in runbook.parameters and runbook.parameters[name].secret
    ]
    if errors:
        detail = "; ".join(f"{e['param']}: {e['message']}" for e in errors)
        raise ParamError(f"invalid parameters for action '{action.id}': {detail}", errors=errors)
    public = {n: s for n, s in runbook.parameters.items() if not s.secret}
    visible = replace(action, params=tuple(p for p in action.params if p in public))
    env = validate_params(public, visible, values)
    by_env = {spec.env_name: name for name, spec in public.items()}
    return {by_env[k]: v for k, v in env.items()}


def _decision(run: RunbookRun, action: Action, approver_roles: frozenset[str]) -> GuardDecision:
    confirmation = (
        Confirmation(by=run.requested_by, command_sha256=run.confirmation_sha256)
        if run.confirmation_sha256
        else None
    )
    approvals = (
        [Approval(by=run.approved_by, command_sha256=run.command_sha256, roles=approver_roles)]
        if run.approved_by
        else []
    )
    return check_guard(action, run.requested_by, confirmation, approvals)


def _audited(run: RunbookRun, incident: Incident) -> dict[str, object]:
    return {
        "incident": incident.human_id,
        "runbook": run.runbook_id,
        "action": run.action_id,
        "danger": run.danger,
        "status": run.status,
        "params": dict(run.params or {}),
        "command_sha256": run.command_sha256,
        "requested_by": run.requested_by,
        "approved_by": run.approved_by,
    }


def _who(actor: str, audit_actor: AuditActor | None) -> AuditActor:
    """The audit log's author; callers pass the principal's ``audit_actor`` (with via and the
    client's address). A caller that does not is recorded by handle with ``via=unknown``."""
    return audit_actor if audit_actor is not None else AuditActor(handle=actor, via="unknown")


def decision_for(run: RunbookRun, action: Action) -> GuardDecision:
    """Re-derive the guard decision from the row (the engine checks again before running);
    the approver's role was checked when the approval was recorded."""
    return _decision(run, action, frozenset(action.approvers))


def request(
    session: Session,
    settings: Settings,
    incident: Incident,
    runbook: Runbook,
    action_id: str,
    *,
    values: dict[str, object],
    confirmation: str | None,
    actor: str,
    audit_actor: AuditActor | None = None,
) -> RunbookRun:
    ensure_enabled(settings)
    action = runbook.action(action_id)
    if action is None:
        raise NotFound(f"runbook '{runbook.id}' has no action '{action_id}'")
    params = public_params(runbook, action, values)
    now = clock.now()
    run = RunbookRun(
        incident_id=incident.id,
        runbook_id=runbook.id,
        lang=runbook.lang,
        runbook_version=runbook.version,
        action_id=action.id,
        danger=action.danger,
        command=action.command,
        command_sha256=action.digest,
        params=params,
        status="queued",
        requested_by=actor,
        requested_at=now,
        confirmation_sha256=confirmation,
        approved_by=None,
        approved_at=None,
        expires_at=None,
        started_at=None,
        finished_at=None,
        exit_code=None,
        duration_ms=None,
        timed_out=False,
        truncated=False,
        stdout="",
        stderr="",
        error=None,
    )
    decision = _decision(run, action, frozenset())
    if not decision.allowed and decision.needs == "confirmation":
        raise Conflict(
            f'{decision.reason}: send "confirmation": the sha256 of the exact command '
            f"({action.digest}) as shown by GET /api/v1/runbooks/{runbook.id}"
        )
    if not decision.allowed:
        run.status = "pending_approval"
        run.expires_at = now + timedelta(minutes=settings.runbooks_approval_minutes)
    session.add(run)
    session.flush()
    message = f"Requested {action.danger} step '{action.id}' of runbook {runbook.id}"
    if run.status == "pending_approval":
        message += " (waiting for a second person's approval)"
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "runbook.run.requested",
                actor,
                message,
                {
                    "run_id": run.id,
                    "runbook": runbook.id,
                    "action": action.id,
                    "danger": action.danger,
                    "params": params,
                    "command_sha256": action.digest,
                },
            )
        ],
        at=now,
    )
    audit.record(
        session,
        _who(actor, audit_actor),
        "runbook_run.request",
        "runbook_run",
        run.id,
        after=_audited(run, incident),
    )
    if run.status == "queued":
        job_service.enqueue(session, STEP_RUN_JOB, {"run_id": run.id}, max_attempts=1)
    return run


def get(
    session: Session, incident: Incident, run_id: int, *, for_update: bool = False
) -> RunbookRun:
    stmt = select(RunbookRun).where(RunbookRun.id == run_id, RunbookRun.incident_id == incident.id)
    if for_update:
        stmt = stmt.with_for_update()
    run = session.scalars(stmt).one_or_none()
    if run is None:
        raise NotFound(f"{incident.human_id} has no run {run_id}")
    return run


def list_for_incident(session: Session, incident_id: int) -> list[RunbookRun]:
    return list(
        session.scalars(
            select(RunbookRun).where(RunbookRun.incident_id == incident_id).order_by(RunbookRun.id)
        )
    )


def approve(
    session: Session,
    settings: Settings,
    incident: Incident,
    run: RunbookRun,
    runbook: Runbook | None,
    *,
    actor: str,
    roles: frozenset[str],
    audit_actor: AuditActor | None = None,
) -> RunbookRun:
    """A second person clears a destructive step for the same command text, before expiry.

    A refused approval (self-approval, a role the step does not accept) is written to the audit
    log before ``PermissionDenied`` is raised, and the run is left unchanged: the entry point
    commits that entry before answering, so attempts to get round the guard are on record.
    """
    ensure_enabled(settings)
    who = _who(actor, audit_actor)
    if run.status != "pending_approval":
        raise Conflict(f"run {run.id} is {run.status}, not waiting for approval")
    now = clock.now()
    if run.expires_at is not None and now > run.expires_at:
        run.status, run.finished_at = "expired", now
        run.error = "the approval window closed; request the step again"
        session.flush()
        incident_service.append(
            session,
            incident.id,
            [
                TimelineItem(
                    "runbook.run.expired",
                    actor,
                    f"Run {run.id} expired before approval",
                    {"run_id": run.id},
                )
            ],
        )
        return run
    if actor.strip().casefold() == run.requested_by.strip().casefold():
        _refused(session, who, run, incident, "self-approval refused")
        raise PermissionDenied("a destructive step needs a second person: self-approval refused")
    action = runbook.action(run.action_id) if runbook is not None else None
    if action is None or action.digest != run.command_sha256:
        raise Conflict(f"the runbook changed since run {run.id} was requested; request again")
    decision = _decision(replace_approver(run, actor), action, roles)
    if not decision.allowed:
        _refused(session, who, run, incident, decision.reason)
        raise PermissionDenied(decision.reason)
    before = _audited(run, incident)
    run.approved_by, run.approved_at, run.status = actor, now, "queued"
    session.flush()
    audit.record(
        session,
        who,
        "runbook_run.approve",
        "runbook_run",
        run.id,
        before=before,
        after=_audited(run, incident),
    )
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "runbook.run.approved",
                actor,
                f"Approved destructive step '{run.action_id}' of runbook {run.runbook_id} "
                f"(requested by {run.requested_by})",
                {"run_id": run.id, "command_sha256": run.command_sha256},
            )
        ],
        at=now,
    )
    job_service.enqueue(session, STEP_RUN_JOB, {"run_id": run.id}, max_attempts=1)
    return run


def _refused(
    session: Session, who: AuditActor, run: RunbookRun, incident: Incident, reason: str
) -> None:
    audit.record(
        session,
        who,
        "runbook_run.approve_refused",
        "runbook_run",
        run.id,
        before=_audited(run, incident),
        after={**_audited(run, incident), "refused": reason},
    )


def replace_approver(run: RunbookRun, approver: str) -> RunbookRun:
    """A detached copy of the row with ``approved_by`` set, to ask the guard before writing."""
    return RunbookRun(
        requested_by=run.requested_by,
        confirmation_sha256=run.confirmation_sha256,
        command_sha256=run.command_sha256,
        approved_by=approver,
    )
