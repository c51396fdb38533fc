"""Shift handoffs on both databases: drafted at the right instant across DST, with the shift's
incidents, sent once to the incoming person and the team channel, frozen after sending."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.alerts.models import Alert
from plantao.catalog.models import Integration, Service
from plantao.changes.models import ChangeEvent
from plantao.db import run_transaction
from plantao.engine.handoff_step import HandoffStep
from plantao.errors import Conflict, PermissionDenied
from plantao.notify.models import Delivery
from plantao.oncall import handoff_editing, handoff_generation, handoff_settings
from plantao.oncall.handoff_facts import ACTIVE_INCIDENT, HandoffFacts
from plantao.oncall.handoff_models import Handoff
from plantao.oncall.models import Silence
from plantao.people.models import AuditEntry
from tests.factories.handoffs import (
    AFTER_DST,
    BEFORE_DST,
    principal,
    script_shift,
    setup_handoffs,
)


def _handoffs(factory: sessionmaker[Session]) -> list[Handoff]:
    with factory() as s:
        return list(s.scalars(select(Handoff).order_by(Handoff.handoff_at)))


def _generate(factory: sessionmaker[Session]) -> int:
    return run_transaction(
        factory,
        lambda s: handoff_generation.generate_due(s, clock.now(), handoff_settings.load(s)),
    )


@pytest.fixture
def scripted(factory: sessionmaker[Session], frozen: object) -> dict[str, int]:
    setup_handoffs(factory)
    return script_shift(factory)


def test_drafted_lead_before_the_local_handover_on_both_sides_of_dst(
    factory: sessionmaker[Session], frozen: object
) -> None:
    """The 09:00 Lisbon hand-over is drafted 60 min ahead: 08:00 UTC in winter, 07:00 UTC after
    the clocks moved, and not a minute earlier."""
    setup_handoffs(factory)
    clock.freeze(BEFORE_DST - timedelta(minutes=61))
    assert _generate(factory) == 0
    clock.freeze(BEFORE_DST - timedelta(minutes=60))
    assert _generate(factory) == 1
    clock.freeze(AFTER_DST - timedelta(minutes=61))
    assert _generate(factory) == 0
    clock.freeze(AFTER_DST - timedelta(minutes=60))
    assert _generate(factory) == 1
    assert _generate(factory) == 0
    rows = _handoffs(factory)
    assert [(r.handoff_at, r.outgoing, r.incoming) for r in rows] == [
        (BEFORE_DST, ["ana"], ["bruno"]),
        (AFTER_DST, ["bruno"], ["ana"]),
    ]
    assert rows[1].send_at == AFTER_DST + timedelta(minutes=15)


def test_draft_lists_the_shift_incidents_and_how_they_ended(
    factory: sessionmaker[Session], scripted: dict[str, int]
) -> None:
    """The shift's resolved incident with its fix and the still-open one; not the earlier one."""
    clock.freeze(AFTER_DST - timedelta(minutes=30))
    HandoffStep(every=0)(factory, "engine-1")
    (row,) = [r for r in _handoffs(factory) if r.handoff_at == AFTER_DST]
    facts = HandoffFacts.from_dict(row.facts)
    assert facts.shift_start == BEFORE_DST
    assert [(i.title, i.severity, i.status) for i in facts.incidents] == [
        ("Error rate spike", "sev2", "resolved"),
        ("Payments latency", "sev3", "acknowledged"),
    ]
    assert facts.incidents[0].resolution == "rolled back release 4.2"
    assert [p.title for p in facts.open_problems] == ["Payments latency"]
    assert facts.status == ACTIVE_INCIDENT
    assert facts.services == ("checkout",)


def test_sent_once_at_handover_plus_grace_to_person_and_team_channel(
    factory: sessionmaker[Session], scripted: dict[str, int]
) -> None:
    """Nothing goes out before handoff_at + 15 min; then one message per contact and channel,
    in their languages, and the row records sent_at and recipients; a second cycle adds none."""
    step = HandoffStep(every=0)
    clock.freeze(AFTER_DST - timedelta(minutes=45))
    assert step(factory, "engine-1") == 0
    clock.freeze(AFTER_DST + timedelta(minutes=14))
    assert step(factory, "engine-1") == 0
    with factory() as s:
        assert s.scalars(select(Delivery).where(Delivery.step == "handoff")).all() == []
    clock.freeze(AFTER_DST + timedelta(minutes=15))
    assert step(factory, "engine-1") == 1
    assert step(factory, "engine-1") == 0
    with factory() as s:
        sent = list(s.scalars(select(Delivery).where(Delivery.step == "handoff")))
        row = s.scalars(select(Handoff).where(Handoff.handoff_at == AFTER_DST)).one()
    assert sorted((d.channel, d.address) for d in sent) == [
        ("email", None),
        ("webhook", "https://chat.example.com/hooks/sre"),
    ]
    assert all("Passagem de plantão" in d.subject for d in sent)  # ana and the channel: pt-BR
    assert all("rolled back release 4.2" in d.text for d in sent)
    assert row.status == "sent"
    assert row.sent_at == AFTER_DST + timedelta(minutes=15)
    assert row.recipients == [
        {"kind": "person", "handle": "ana", "channels": ["email"], "queued": 1},
        {"kind": "channel", "name": "sre-chat", "channel": "webhook", "queued": 1},
    ]


def test_notes_by_outgoing_only_until_sent_and_send_now(
    factory: sessionmaker[Session], scripted: dict[str, int]
) -> None:
    """bruno (outgoing) edits; ana (incoming, not a manager) may not; "send now" makes it due
    at once; after sending, a change is a conflict."""
    clock.freeze(AFTER_DST - timedelta(minutes=30))
    step = HandoffStep(every=0)
    step(factory, "engine-1")
    handoff_id = next(r.id for r in _handoffs(factory) if r.handoff_at == AFTER_DST)

    def edit(handle: str, notes: str) -> None:
        def work(s: Session) -> None:
            row = handoff_editing.get(s, handoff_id, lock=True)
            handoff_editing.edit_notes(s, row, principal(s, handle), notes)

        run_transaction(factory, work)

    edit("bruno", "Traffic 20% above normal (campaign).")
    with pytest.raises(PermissionDenied):
        edit("ana", "mine")
    run_transaction(
        factory,
        lambda s: handoff_editing.send_now(
            s, handoff_editing.get(s, handoff_id), principal(s, "bruno")
        ),
    )
    assert step(factory, "engine-1") == 1
    with pytest.raises(Conflict):
        edit("bruno", "too late")
    with factory() as s:
        row = s.get(Handoff, handoff_id)
        assert row is not None
        assert row.sent_at == AFTER_DST - timedelta(minutes=30)
        assert "Traffic 20% above normal" in handoff_editing.text_of(row, "en").text


def test_note_edits_and_send_now_are_audited(
    factory: sessionmaker[Session], scripted: dict[str, int]
) -> None:
    """Who changed the notes (before and after) and who sent early is in the audit log."""
    clock.freeze(AFTER_DST - timedelta(minutes=30))
    HandoffStep(every=0)(factory, "engine-1")
    handoff_id = next(r.id for r in _handoffs(factory) if r.handoff_at == AFTER_DST)

    def work(s: Session) -> None:
        row = handoff_editing.get(s, handoff_id, lock=True)
        handoff_editing.edit_notes(s, row, principal(s, "bruno"), "Watch the queue")
        handoff_editing.send_now(s, row, principal(s, "bruno"))

    run_transaction(factory, work)
    with factory() as s:
        query = select(AuditEntry).where(AuditEntry.object_type == "handoff")
        entries = list(s.scalars(query.order_by(AuditEntry.id)))
    assert [(e.action, e.actor, e.object_id) for e in entries] == [
        ("handoff.notes", "bruno", str(handoff_id)),
        ("handoff.send_now", "bruno", str(handoff_id)),
    ]
    assert entries[0].after == {"notes": "Watch the queue"}


def test_draft_lists_quiet_alerts_windows_and_changes_of_the_next_day(
    factory: sessionmaker[Session], scripted: dict[str, int]
) -> None:
    """A firing sev4 alert, a window on checkout and a change in the next 24 h are listed; a
    change two days ahead and a window on another service are not."""
    now = AFTER_DST - timedelta(minutes=30)
    clock.freeze(now)

    def seed(s: Session) -> None:
        checkout = s.scalars(select(Service).where(Service.slug == "checkout")).one()
        gen = s.scalars(select(Integration).where(Integration.slug == "gen")).one()
        s.add(_alert(gen.id, checkout.id, scripted["latency"], now))
        for hours, summary in ((3, "deploy 4.3"), (50, "deploy 5.0")):
            s.add(
                ChangeEvent(
                    integration_id=gen.id,
                    service_id=checkout.id,
                    summary=summary,
                    source=None,
                    occurred_at=now + timedelta(hours=hours),
                    received_at=now,
                    details={},
                )
            )
        for name, services in (("PG upgrade", ["checkout"]), ("Orders move", ["orders"])):
            s.add(
                Silence(
                    name=name,
                    origin="api",
                    starts_at=now + timedelta(hours=2),
                    ends_at=now + timedelta(hours=3),
                    recurrence=None,
                    services=services,
                    matchers=[],
                    comment="",
                    created_by="test",
                    created_at=now,
                    ended_at=None,
                )
            )

    run_transaction(factory, seed)
    HandoffStep(every=0)(factory, "engine-1")
    (row,) = [r for r in _handoffs(factory) if r.handoff_at == AFTER_DST]
    facts = HandoffFacts.from_dict(row.facts)
    assert [(a.summary, a.severity, a.service) for a in facts.alerts] == [
        ("Disk 85% on db-1", "sev4", "checkout")
    ]
    assert [c.summary for c in facts.changes] == ["deploy 4.3"]
    assert [w.name for w in facts.windows] == ["PG upgrade"]


def _alert(integration_id: int, service_id: int, incident_id: int, at: datetime) -> Alert:
    return Alert(
        integration_id=integration_id,
        service_id=service_id,
        incident_id=incident_id,
        identity="disk-db-1",
        source="generic",
        status="firing",
        summary="Disk 85% on db-1",
        severity="sev4",
        labels={},
        annotations={},
        details={},
        content_hash="0" * 32,
        starts_at=at - timedelta(hours=1),
        ends_at=None,
        first_seen_at=at - timedelta(hours=1),
        last_seen_at=at,
        resolved_at=None,
    )
