"""The engine's job for a step run (``runbooks.execute``): claim the run, run its process, store
the outcome.

A step run goes in three stages so no transaction stays open while a shell runs: claim the run
(``queued`` → ``running``) and commit; run the command with no database session held; store
the redacted outcome and its timeline entry. A run found ``running`` when its job starts again
means the engine died mid-run: it is marked failed, never re-run, because a half-done mutating
step must be looked at by a person before anything repeats it.
"""

from __future__ import annotations

import os
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import session_scope
from plantao.errors import DomainError
from plantao.incidents import service as incident_service
from plantao.incidents.service import TimelineItem
from plantao.jobs.service import Claimed
from plantao.runbooks import step_requests
from plantao.runbooks.document import Runbook
from plantao.runbooks.library_access import library
from plantao.runbooks.models import RunbookRun
from plantao.runbooks.redaction import redact
from plantao.runbooks.step_process import ExecutionResult, execute, process_config

log = structlog.get_logger("plantao.runbooks")

TIMELINE_OUTPUT = 2000


def _secret_values(runbook: Runbook, action_params: tuple[str, ...]) -> dict[str, object]:
    """Secret parameters come from the engine's environment, never from the database."""
    found: dict[str, object] = {}
    for name in action_params:
        spec = runbook.parameters.get(name)
        if spec is not None and spec.secret:
            value = os.environ.get(step_requests.secret_env_name(name))
            if value:
                found[name] = value
    return found


def _finish(
    factory: sessionmaker[Session],
    run_id: int,
    *,
    status: str,
    error: str | None = None,
    result: ExecutionResult | None = None,
    secrets: list[str] | None = None,
) -> None:
    secrets = secrets or []
    with session_scope(factory) as session:
        row = session.get(RunbookRun, run_id, with_for_update=True)
        if row is None:
            return
        row.status, row.finished_at = status, clock.now()
        row.error = redact(error, secrets) if error else None
        data: dict[str, Any] = {
            "run_id": row.id,
            "runbook": row.runbook_id,
            "action": row.action_id,
            "status": status,
        }
        if result is not None:
            # Redacted again here: the step process already did, but storage is the last gate.
            row.stdout = redact(result.stdout, secrets)
            row.stderr = redact(result.stderr, secrets)
            row.exit_code, row.duration_ms = result.exit_code, result.duration_ms
            row.timed_out, row.truncated = result.timed_out, result.truncated
            data |= {
                "exit_code": result.exit_code,
                "duration_ms": result.duration_ms,
                "timed_out": result.timed_out,
                "truncated": result.truncated,
                "output": row.stdout[-TIMELINE_OUTPUT:],
                "stderr": row.stderr[-TIMELINE_OUTPUT:],
            }
            message = (
                f"Ran '{row.action_id}' of runbook {row.runbook_id}: exit "
                f"{result.exit_code} in {result.duration_ms} ms"
                + (" (timed out)" if result.timed_out else "")
                + (" (output truncated)" if result.truncated else "")
            )
        else:
            data["error"] = row.error
            message = f"Step '{row.action_id}' of runbook {row.runbook_id} not run: {row.error}"
        session.flush()
        incident_service.append(
            session,
            row.incident_id,
            [
                TimelineItem(
                    "runbook.run.finished", f"engine (for {row.requested_by})", message, data
                )
            ],
        )


def run_step(factory: sessionmaker[Session], job: Claimed, settings: Settings) -> None:
    """The ``runbooks.execute`` job: run the step run named by the payload, at most once."""
    run_id = int(job.payload["run_id"])
    with session_scope(factory) as session:
        row = session.get(RunbookRun, run_id, with_for_update=True)
        if row is None or row.status not in ("queued", "running"):
            return
        interrupted = row.status == "running"
        if not interrupted:
            row.status, row.started_at = "running", clock.now()
        ident = (row.runbook_id, row.lang, row.action_id, row.command_sha256)
        values: dict[str, object] = dict(row.params)
        probe = step_requests.replace_approver(row, row.approved_by) if row.approved_by else row
    if interrupted:
        _finish(
            factory,
            run_id,
            status="failed",
            error="interrupted: the engine stopped during the run; not re-run automatically",
        )
        return
    if not settings.runbooks_execution:
        _finish(
            factory,
            run_id,
            status="refused",
            error="executable runbook steps are disabled on this server",
        )
        return
    runbook = library(settings).get(ident[0], ident[1])
    action = runbook.action(ident[2]) if runbook is not None else None
    if runbook is None or action is None or action.digest != ident[3]:
        _finish(
            factory,
            run_id,
            status="refused",
            error="the runbook or its command changed since the request; request again",
        )
        return
    values |= _secret_values(runbook, action.params)
    secrets = [
        str(v)
        for k, v in values.items()
        if k in runbook.parameters and runbook.parameters[k].secret
    ]
    try:
        result = execute(
            runbook,
            action.id,
            values,
            step_requests.decision_for(probe, action),
            process_config(settings),
        )
    except DomainError as exc:
        _finish(factory, run_id, status="refused", error=exc.detail, secrets=secrets)
        return
    except OSError as exc:  # workdir missing, /bin/sh absent, ...
        log.error("runbooks.run_failed", run=run_id, exc_info=exc)
        _finish(
            factory,
            run_id,
            status="failed",
            error=f"could not start: {exc.strerror}",
            secrets=secrets,
        )
        return
    status = "succeeded" if result.exit_code == 0 and not result.timed_out else "failed"
    _finish(factory, run_id, status=status, result=result, secrets=secrets)
