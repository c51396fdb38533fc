"""Two people saving the same postmortem at the same moment, both on version 1: acting on a
postmortem locks its incident, so the saves queue; exactly one becomes version 2 and the other
is refused with a Conflict naming version 2 (never a database error, never a lost text)."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.auth.principal import Principal
from plantao.auth.roles import Access, Role
from plantao.db import session_scope
from plantao.errors import Conflict
from plantao.incidents import service as incident_service
from plantao.postmortems import access, editing, records
from plantao.postmortems.models import PostmortemVersion
from tests.factories.config import apply_standard
from tests.factories.oncall import fire

ADMIN = Principal(user_id=0, handle="cli:test", name="Test", access=Access(Role.ADMIN))


def test_concurrent_saves_on_one_version_make_one_version_and_one_conflict(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Both threads start together from version 1: one saves version 2, the other gets a
    Conflict that names version 2; the versions table holds 1 and 2 only."""
    apply_standard(factory)
    incident_id = fire(factory)
    with session_scope(factory) as session:
        incident = incident_service.get(session, incident_id)
        pm, _ = records.ensure(session, incident, actor="test")
        pm_id = pm.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def save(text: str) -> None:
        start.wait()
        try:
            with session_scope(factory) as session:
                pm, _incident = access.to_act(session, pm_id, ADMIN)
                editing.save(session, pm, text, base_version=1, actor="test")
            outcomes.append("saved")
        except Conflict as exc:
            outcomes.append("conflict: version 2" if "version 2" in exc.detail else exc.detail)
        except Exception as exc:  # any other failure is the bug this test is about
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=save, args=(f"# Text {n}\n",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict: version 2", "saved"]
    with session_scope(factory) as session:
        numbers = session.scalars(
            select(PostmortemVersion.version)
            .where(PostmortemVersion.postmortem_id == pm_id)
            .order_by(PostmortemVersion.version)
        ).all()
        assert numbers == [1, 2]
        assert session.scalar(select(func.count()).select_from(PostmortemVersion)) == 2
