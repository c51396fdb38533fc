"""Status updates over the API (seed 002 ``status-template``, 003 §4.3).

``POST /api/v1/incidents/{ref}/status-updates`` posts one (a responder on the incident) and
answers it with 201; ``GET`` lists them, newest first. The incident itself shows when the next
one is due and whether it is late (``next_update_due_at``, ``update_overdue``). Also the
``plantao_status_updates_overdue`` gauge, read from the database at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.deps import Responder, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.command import cadence, updates
from plantao.command.update_schemas import StatusUpdateIn, StatusUpdateOut
from plantao.db import session_scope
from plantao.incidents import access as incident_access

router = APIRouter(
    prefix="/api/v1/incidents", tags=["incident command"], responses=problem_responses()
)


@router.post("/{ref}/status-updates", response_model=StatusUpdateOut, status_code=201)
def post_status_update(
    ref: str, body: StatusUpdateIn, session: SessionDep, who: Responder
) -> StatusUpdateOut:
    """Post a status update; the next one falls due one severity interval later (or at
    ``next_update_at``), and a ``resolved`` one (root cause, fix, monitoring, postmortem date)
    ends the reminders."""
    incident = incident_access.get_to_act(session, ref, who)
    posted = updates.post(session, incident, body, actor=who.actor)
    out = StatusUpdateOut.model_validate(posted)
    session.commit()
    return out


@router.get("/{ref}/status-updates", response_model=list[StatusUpdateOut])
def list_status_updates(ref: str, session: SessionDep, who: Viewer) -> list[StatusUpdateOut]:
    """The incident's status updates, newest first."""
    incident = incident_access.get_to_read(session, ref, who)
    return [StatusUpdateOut.model_validate(u) for u in updates.history(session, incident.id)]


class OverdueCollector(Collector):
    """``plantao_status_updates_overdue``: open incidents whose status update is late now."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "plantao_status_updates_overdue",
            "Open incidents whose next status update is past due (seed 002 cadence)",
        )
        try:
            with session_scope(self.factory) as session:
                count = cadence.overdue_count(session)
        except Exception:  # a scrape must not fail because the database is away
            return
        family.add_metric([], count)
        yield family


_collector: OverdueCollector | None = None


def register_overdue_collector(factory: sessionmaker[Session]) -> None:
    """Register once per process; the newest app's database wins (as for open incidents)."""
    global _collector
    if _collector is None:
        _collector = OverdueCollector(factory)
        REGISTRY.register(_collector)
    else:
        _collector.factory = factory
