"""What the release gate looks at, made for tests: incidents declared through the API and
corrective actions stored as rows of the incident's postmortem."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import session_scope
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.postmortems import records
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.models import CorrectiveAction, GateOverride, Postmortem

DUE = date(2026, 12, 10)


def declare(
    client: httpx.Client,
    token: str,
    *,
    service: str = "checkout",
    severity: str = "sev3",
    title: str = "Checkout errors",
    private: bool = False,
) -> str:
    """Declare an incident by hand (as an admin would); its human id."""
    res = client.post(
        "/api/v1/incidents",
        json={"title": title, "service": service, "severity": severity, "private": private},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert res.status_code == 201, res.text
    return str(res.json()["human_id"])


def set_status(factory: sessionmaker[Session], ref: str, status: str) -> None:
    """Move an incident straight to ``status`` (what the lifecycle would have done)."""
    with session_scope(factory) as session:
        incident = session.scalars(select(Incident).where(Incident.human_id == ref)).one()
        incident.status = status  # type: ignore[assignment]


def _postmortem(session: Session, incident: Incident) -> Postmortem:
    """A bare draft postmortem (the gate reads actions, not the draft's text), so these tests
    do not depend on the draft generator."""
    now = clock.now()
    row = Postmortem(
        incident_id=incident.id,
        status="draft",
        required=True,
        language="en",
        markdown="",
        version=0,
        created_by="test",
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def add_action(
    factory: sessionmaker[Session],
    ref: str,
    *,
    must_fix: bool = True,
    status: str = "open",
    environment: str | None = None,
    owner: str | None = "ana",
    title: str = "Add a circuit breaker to the payment client",
    due: date = DUE,
) -> str:
    """A corrective action of the incident's postmortem; its id (``AC-07``)."""
    with session_scope(factory) as session:
        incident = session.scalars(select(Incident).where(Incident.human_id == ref)).one()
        postmortem = records.for_incident(session, incident.id) or _postmortem(session, incident)
        owner_id = None
        if owner is not None:
            owner_id = session.scalars(select(User.id).where(User.handle == owner)).one()
        now = clock.now()
        row = CorrectiveAction(
            postmortem_id=postmortem.id,
            incident_id=incident.id,
            service_id=incident.service_id,
            environment=environment,
            title=title,
            owner_user_id=owner_id,
            due_date=due,
            severity=incident.severity,
            kind="quick_fix",
            must_fix=must_fix,
            status=status,
            reason="not worth it" if status == "wont_do" else None,
            created_by="test",
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return format_action_id(row.id)


def past_override(factory: sessionmaker[Session], service_id: int, *, hours_ago: int = 1) -> int:
    """An override that expired ``hours_ago`` (the API refuses to create one in the past)."""
    with session_scope(factory) as session:
        now = clock.now()
        row = GateOverride(
            service_id=service_id,
            environment=None,
            reason="old release",
            created_by="admin-u",
            created_at=now - timedelta(hours=hours_ago + 2),
            expires_at=now - timedelta(hours=hours_ago),
        )
        session.add(row)
        session.flush()
        return row.id


def in_hours(hours: float) -> str:
    return (clock.now() + timedelta(hours=hours)).isoformat()
