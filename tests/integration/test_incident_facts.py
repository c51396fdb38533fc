"""engine.incident_facts: an incident's real data as the facts message templates render from
(roles, status updates, notes, risk, the severity's priority, cadence and RCA window)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao.command import roles, updates
from plantao.command.update_schemas import StatusUpdateIn
from plantao.comms import render
from plantao.config import Settings
from plantao.db import session_scope
from plantao.engine import incident_facts
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.people.models import User
from plantao.runbooks import posture
from tests.factories.oncall import act, fire, setup_oncall

SETTINGS = Settings(database_url="sqlite://", base_url="https://plantao.example.com/")


def test_facts_carry_the_incident_real_data(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Ref, URL, priority, cadence, roles, the latest update, notes and risk reach the facts."""
    setup_oncall(factory)
    incident_id = fire(factory, "critical")
    with session_scope(factory) as session:
        incident = incident_service.get(session, incident_id, for_update=True)
        ana = session.scalars(select(User).where(User.handle == "ana")).one()
        roles.assign(session, incident, "comms_lead", ana, actor="ana")
        incident_service.add_note(
            session, incident, actor="ana", text="Deploy at 13:00", kind="fact"
        )
        incident_service.add_note(session, incident, actor="ana", text="Rolled back", kind="action")
        posture.record_risk(
            session, incident, level="low", rationale="no data at risk", actor="ana"
        )
        body = StatusUpdateIn.model_validate(
            {
                "status": "identified",
                "impact": "EU checkouts fail",
                "next_steps": [{"action": "Drain the DLQ", "owner": "ana"}],
            }
        )
        updates.post(session, incident, body, actor="ana")
    with session_scope(factory) as session:
        incident = incident_service.get(session, incident_id)
        facts = incident_facts.facts_for(session, incident, SETTINGS, now=frozen)
    assert facts.ref == incident.human_id
    assert facts.url == f"https://plantao.example.com/incidents/{incident.human_id}"
    assert (facts.severity, facts.priority, facts.update_every_minutes) == ("sev1", "P0", 15)
    assert facts.comms_lead == "ana" and ("comms_lead", "ana") in facts.roles
    assert facts.latest is not None and facts.latest.impact == "EU checkouts fail"
    assert facts.latest.next_steps[0].action == "Drain the DLQ"
    assert [(n.kind, n.text) for n in facts.notes] == [
        ("fact", "Deploy at 13:00"),
        ("action", "Rolled back"),
    ]
    assert facts.risk == "low" and facts.risk_rationale == "no data at risk"
    assert facts.rca_due_at == frozen + timedelta(hours=48)
    assert facts.as_of == frozen
    text = render.render("executive_summary", "en", facts).text
    assert "- Deploy at 13:00" in text and "- Rolled back" in text


def test_rca_window_counts_business_days_from_resolution(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A Sev2's RCA is due three working days after it was resolved, weekends skipped."""
    setup_oncall(factory)
    incident_id = fire(factory, "error")
    act(factory, incident_id, Action.RESOLVE)
    with session_scope(factory) as session:
        incident = incident_service.get(session, incident_id)
        facts = incident_facts.facts_for(session, incident, SETTINGS)
        resolved = incident.resolved_at
    assert facts.severity == "sev2" and resolved is not None
    assert facts.rca_due_at == incident_facts.add_business_days(resolved, 3)
    friday = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    assert incident_facts.add_business_days(friday, 3) == friday + timedelta(days=5)


def test_many_incidents_in_one_call(factory: sessionmaker[Session], frozen: datetime) -> None:
    """facts_for_many answers every incident asked for, keyed by id."""
    setup_oncall(factory)
    first = fire(factory, "critical", "One")
    second = fire(factory, "warning", "Two")
    with session_scope(factory) as session:
        found = [incident_service.get(session, i) for i in (first, second)]
        facts = incident_facts.facts_for_many(session, found, SETTINGS)
        assert incident_facts.facts_for_many(session, [], SETTINGS) == {}
    assert set(facts) == {first, second}
    assert facts[first].latest is None and facts[second].severity == "sev3"
