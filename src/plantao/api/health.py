"""Liveness, readiness (the database answers) and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from plantao.db import session_scope
from plantao.incidents import service as incident_service

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
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
        try:
            with session_scope(self.factory) as session:
                counts = incident_service.open_counts_by_severity(session)
        except Exception:  # a scrape must not fail because the database is away
            return
        for severity, value in counts.items():
            family.add_metric([severity], value)
        yield family
