"""Small helpers to drive intake the way production does: through the inbox and the engine.

``send_*`` store one inbox entry (as an intake request does) and apply exactly that entry with
the engine's inbox step, so a test reads what a sender's request makes of the database. Tests of
``ingest`` itself (``test_ingest_batch``) call it directly on purpose.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.alerts.schemas import AlertEvent
from plantao.db import run_transaction
from plantao.engine.apply_inbox import apply_pending
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident, TimelineEntry
from plantao.intake import inbox
from plantao.intake.batch import Applied
from plantao.intake.sources import alertmanager, generic, pagerduty
from tests.factories.config import integration


@dataclass(frozen=True)
class Sent:
    """What applying one sent request did, by outcome, and the incidents it touched."""

    created: int
    refreshed: int
    updated: int
    resolved: int
    reopened: int
    acknowledged: int
    ignored: int
    incidents: set[str]


def _send(
    factory: sessionmaker[Session], slug: str, source: str, events: Sequence[AlertEvent]
) -> Sent:
    """One request through the inbox, applied alone by the engine's inbox step.

    Applied alone (``only_id``) so each request's outcomes are its own, as the one-by-one path
    of the step does; while another applier holds the PostgreSQL lock (concurrent tests) the
    pass takes nothing, so it is tried again until the entry is applied.
    """

    def store(session: Session) -> int | None:
        key = integration(session, slug).key
        return inbox.accept(session, [inbox.Submission(key, source, events)])[0]

    entry = run_transaction(factory, store)
    applied = Applied()
    while entry is not None:
        applied = run_transaction(factory, lambda s: apply_pending(s, only_id=entry))
        if applied.entries:
            break
        time.sleep(0.001)
    with factory() as session:
        human_ids = session.scalars(
            select(Incident.human_id).where(Incident.id.in_(applied.incidents))
        ).all()
    counts: Counter[str] = Counter()
    for (_, outcome), n in applied.outcomes.items():
        counts[outcome] += n
    return Sent(
        created=counts["created"],
        refreshed=counts["refreshed"],
        updated=counts["updated"],
        resolved=counts["resolved"],
        reopened=counts["reopened"],
        acknowledged=counts["acknowledged"],
        ignored=counts["ignored"],
        incidents=set(human_ids),
    )


def send_am(factory: sessionmaker[Session], body: dict[str, Any], slug: str = "am") -> Sent:
    events, rejected = alertmanager.parse(body)
    assert rejected == []
    return _send(factory, slug, "alertmanager", events)


def send_pd(factory: sessionmaker[Session], body: dict[str, Any]) -> Sent:
    event = pagerduty.to_alert_event(pagerduty.Event.model_validate(body))
    return _send(factory, "pd", "pagerduty", [event])


def send_generic(factory: sessionmaker[Session], body: Any) -> Sent:
    events, _ = generic.parse(body)
    return _send(factory, "gen", "generic", events)


def count(factory: sessionmaker[Session], model: type[Any], *where: Any) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def incidents(factory: sessionmaker[Session]) -> list[Incident]:
    with factory() as session:
        return list(session.scalars(select(Incident).order_by(Incident.id)))


def incident(factory: sessionmaker[Session], ref: str) -> Incident:
    with factory() as session:
        return incident_service.get(session, ref)


def alerts(factory: sessionmaker[Session]) -> list[Alert]:
    with factory() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def timeline_kinds(factory: sessionmaker[Session], incident_id: int) -> list[str]:
    with factory() as session:
        return list(
            session.scalars(
                select(TimelineEntry.kind)
                .where(TimelineEntry.incident_id == incident_id)
                .order_by(TimelineEntry.id)
            )
        )
