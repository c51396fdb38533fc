"""Liveness, readiness (the database answers) and Prometheus metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from plantao.api import errors
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.intake import inbox
from plantao.jobs import service as job_service

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "the database does not answer"}})
async def readyz(request: Request) -> JSONResponse:
    factory: sessionmaker[Session] = request.app.state.sessions

    def ping() -> None:
        with session_scope(factory) as session:
            session.execute(text("SELECT 1"))

    try:
        with anyio.fail_after(5):
            await anyio.to_thread.run_sync(ping)
    except Exception as exc:  # any failure means not ready; say which
        return JSONResponse(
            {"status": "unavailable", "database": type(exc).__name__}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get(
    "/healthz/engine",
    responses={
        503: {"description": "lagging, or the engine or this request cannot reach the database"}
    },
)
async def engine_health(request: Request) -> JSONResponse:
    """Engine-cycle lag: how overdue the oldest due job is, plus this process's loop stats.

    503 when timers or the inbox lag over 30 s, when this process's engine cannot reach the
    database, or (through ``api/errors.py``) when this request cannot.
    """
    factory: sessionmaker[Session] = request.app.state.sessions

    def read() -> tuple[float, dict[str, int], inbox.Depth]:
        with session_scope(factory) as session:
            lag = job_service.oldest_due_lag(session).total_seconds()
            return lag, job_service.depth_by_state(session), inbox.depth(session)

    lag, depth, pending = await anyio.to_thread.run_sync(read)
    inbox_lag = pending.oldest_pending_age.total_seconds()
    loop = getattr(request.app.state, "engine_loop", None)
    body: dict[str, object] = {
        "lag_seconds": round(lag, 3),
        "jobs": depth,
        "inbox": {
            "pending_entries": pending.pending_entries,
            "pending_alerts": pending.pending_alerts,
            "oldest_pending_seconds": round(inbox_lag, 3),
            "failed_entries": pending.failed_entries,
        },
    }
    down_since = None
    if loop is not None:
        down_since = loop.outage.down_since
        in_process: dict[str, object] = {
            "worker": loop.worker_id,
            "cycles": loop.stats.cycles,
            "seconds_since_last_cycle": round(time.time() - loop.stats.last_cycle_at, 3),
            "last_cycle_seconds": round(loop.stats.last_cycle_seconds, 4),
            "database": "ok" if down_since is None else "unavailable",
        }
        if down_since is not None:
            in_process["database_down_seconds"] = round(time.time() - down_since, 3)
        body["in_process"] = in_process
    status = 200 if lag < 30 and inbox_lag < 30 and down_since is None else 503
    if status == 200:
        body["status"] = "ok"
    else:
        body["status"] = "lagging" if down_since is None else "database_unavailable"
    return JSONResponse(body, status_code=status, headers=_retry_after(status))


def _retry_after(status: int) -> dict[str, str] | None:
    return {"Retry-After": str(errors.RETRY_AFTER_SECONDS)} if status == 503 else None


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class OpenIncidentsCollector(Collector):
    """Reads open incidents by severity at scrape time, so the figure is never stale."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "plantao_open_incidents", "Open incidents by severity", labels=["severity"]
        )
        jobs = GaugeMetricFamily(
            "plantao_engine_jobs",
            "Engine jobs (timers) by state; 'due' = pending and due now",
            labels=["state"],
        )
        lag = GaugeMetricFamily(
            "plantao_engine_lag_seconds", "How overdue the oldest due job is (engine-cycle lag)"
        )
        entries = GaugeMetricFamily(
            "plantao_intake_inbox_entries",
            "Accepted intake requests waiting for the engine (pending) or set aside (failed)",
            labels=["state"],
        )
        inbox_age = GaugeMetricFamily(
            "plantao_intake_inbox_oldest_pending_seconds",
            "Age of the oldest accepted intake request not yet applied",
        )
        try:
            with session_scope(self.factory) as session:
                counts = incident_service.open_counts_by_severity(session)
                depth = job_service.depth_by_state(session)
                due = job_service.due_count(session)
                overdue = job_service.oldest_due_lag(session).total_seconds()
                pending = inbox.depth(session)
        except Exception:  # a scrape must not fail because the database is away
            return
        for severity, value in counts.items():
            family.add_metric([severity], value)
        for state in ("pending", "running", "done", "dead"):
            jobs.add_metric([state], depth.get(state, 0))
        jobs.add_metric(["due"], due)
        lag.add_metric([], overdue)
        entries.add_metric(["pending"], pending.pending_entries)
        entries.add_metric(["failed"], pending.failed_entries)
        inbox_age.add_metric([], pending.oldest_pending_age.total_seconds())
        yield family
        yield jobs
        yield lag
        yield entries
        yield inbox_age
