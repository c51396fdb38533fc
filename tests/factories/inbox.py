"""Apply the intake inbox now, the way the engine does, for tests that read what intake made."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine.apply_inbox import InboxStep
from plantao.incidents.models import Incident


def drain(factory: sessionmaker[Session], settings: Settings | None = None) -> int:
    """Run the engine's inbox step until nothing is pending; how many entries it handled."""
    step = InboxStep(settings or Settings(env="test"))
    total = 0
    while handled := step(factory, "test"):
        total += handled
    return total


def latest_incident(factory: sessionmaker[Session]) -> str:
    with session_scope(factory) as session:
        human_id = session.scalar(select(Incident.human_id).order_by(Incident.id.desc()).limit(1))
    assert human_id is not None, "no incident was opened"
    return human_id
