"""The setup and close checklists against the database (SQLite and PostgreSQL): computed items
flip when roles, notes and status updates appear; ticks are stored and recorded; closing with
close items unchecked is refused without a reason and recorded with one."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.catalog import service as catalog_service
from plantao.command import checklists
from plantao.command.models import ChecklistTick, IncidentRole, StatusUpdate
from plantao.db import session_scope
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action, Status
from plantao.incidents.models import Incident, TimelineEntry
from tests.factories.config import apply_standard
from tests.factories.people import make_user


def _open(factory: sessionmaker[Session], severity: str = "sev2") -> int:
    apply_standard(factory)
    with session_scope(factory) as s:
        for handle in ("ana", "bia", "caio"):
            make_user(s, handle, global_role="responder", password=None)
        incident = incident_service.open_incident(
            s,
            title="Checkout 5xx",
            severity_name=severity,
            service_id=catalog_service.service_by_slug(s, "checkout").id,
            route_id=None,
            group_key="t",
            group_window_seconds=3600,
            auto_resolve=True,
            detected_at=clock.now(),
            actor="test",
        )
        return incident.id


def _done(factory: sessionmaker[Session], incident_id: int, checklist: str) -> dict[str, str]:
    """Each item's answer: its source, or 'todo'."""
    with factory() as s:
        incident = incident_service.get(s, incident_id)
        return {
            st.item.id: (st.source or "todo") for st in checklists.states(s, incident)[checklist]
        }


def _update(s: Session, incident_id: int, **fields: object) -> None:
    values: dict[str, object] = {
        "incident_id": incident_id,
        "kind": "update",
        "status": "investigating",
        "impact": "checkout errors",
        "symptoms": None,
        "mitigation": None,
        "next_steps": [],
        "resolution": None,
        "posted_by": "ana",
        "posted_at": clock.now(),
        "next_update_due_at": None,
        "fanned_out_at": None,
    }
    values.update(fields)
    s.add(StatusUpdate(**values))
    s.flush()


def _role(s: Session, incident_id: int, role: str, handle: str) -> None:
    user = make_user(s, handle, password=None)
    s.add(
        IncidentRole(
            incident_id=incident_id,
            role=role,
            user_id=user.id,
            assigned_by="test",
            assigned_at=clock.now(),
        )
    )
    s.flush()


def test_setup_items_computed_from_roles_notes_and_updates(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """All to do at first; the roles item needs IC, CL and Scribe; a note starts the timeline;
    an update with a mitigation and a next-update time answers the last two."""
    inc = _open(factory)
    assert _done(factory, inc, "setup") == dict.fromkeys(
        ("roles", "timeline", "status_page", "mitigation_plan", "next_update"), "todo"
    )
    with session_scope(factory) as s:
        _role(s, inc, "incident_commander", "ana")
        _role(s, inc, "comms_lead", "bia")
    assert _done(factory, inc, "setup")["roles"] == "todo"
    with session_scope(factory) as s:
        _role(s, inc, "scribe", "caio")
        incident_service.add_note(
            s, incident_service.get(s, inc), actor="caio", text="02:10 errors began"
        )
    assert _done(factory, inc, "setup") == {
        "roles": "computed",
        "timeline": "computed",
        "status_page": "todo",
        "mitigation_plan": "todo",
        "next_update": "todo",
    }
    with session_scope(factory) as s:
        _update(s, inc, mitigation="   ")  # blank mitigation is no plan
    assert _done(factory, inc, "setup")["mitigation_plan"] == "todo"
    with session_scope(factory) as s:
        _update(
            s,
            inc,
            mitigation="roll back release 42",
            next_update_due_at=clock.now() + timedelta(minutes=30),
        )
    done = _done(factory, inc, "setup")
    assert (done["mitigation_plan"], done["next_update"]) == ("computed", "computed")


def test_an_action_note_is_a_mitigation_plan(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A note of kind 'action' answers the mitigation plan (a 'fact' note does not)."""
    inc = _open(factory)
    with session_scope(factory) as s:
        incident_service.add_note(s, incident_service.get(s, inc), actor="ana", text="looking")
    assert _done(factory, inc, "setup")["mitigation_plan"] == "todo"
    with session_scope(factory) as s:
        incident_service.add_note(
            s, incident_service.get(s, inc), actor="ana", text="freeze canary", kind="action"
        )
    assert _done(factory, inc, "setup")["mitigation_plan"] == "computed"


def test_ticks_are_stored_recorded_and_validated(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The status page tick needs public or not_needed; a computed-only item refuses a tick
    (409); an unknown item is 404; tick and untick go on the timeline; nothing is stored by a
    refused tick."""
    inc = _open(factory)
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc)
        with pytest.raises(ValidationFailed):
            checklists.tick(
                s, incident, "setup", "status_page", done=True, value="maybe", actor="a"
            )
        with pytest.raises(Conflict):
            checklists.tick(s, incident, "setup", "roles", done=True, value=None, actor="a")
        with pytest.raises(NotFound):
            checklists.tick(s, incident, "setup", "nope", done=True, value=None, actor="a")
        with pytest.raises(NotFound):
            checklists.tick(s, incident, "other", "roles", done=True, value=None, actor="a")
        assert s.scalars(select(ChecklistTick)).all() == []
        checklists.tick(s, incident, "setup", "status_page", done=True, value="public", actor="ana")
    with factory() as s:
        [row] = s.scalars(select(ChecklistTick)).all()
        assert (row.checklist, row.item, row.value, row.ticked_by) == (
            "setup",
            "status_page",
            "public",
            "ana",
        )
        incident = incident_service.get(s, inc)
        [state] = [x for x in checklists.states(s, incident)["setup"] if x.item.id == "status_page"]
        assert (state.done, state.source, state.by, state.value) == (True, "tick", "ana", "public")
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc)
        checklists.tick(s, incident, "setup", "status_page", done=False, value=None, actor="bia")
    with factory() as s:
        assert s.scalars(select(ChecklistTick)).all() == []
        kinds = s.scalars(
            select(TimelineEntry.kind)
            .where(TimelineEntry.kind.like("checklist.%"))
            .order_by(TimelineEntry.id)
        ).all()
        assert kinds == [checklists.TICKED, checklists.UNTICKED]


def _resolve(factory: sessionmaker[Session], inc: int) -> None:
    with session_scope(factory) as s:
        incident_service.act(s, incident_service.get(s, inc), Action.RESOLVE, actor="ana")


def test_close_refused_without_reason_and_recorded_with_one(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A resolved SEV2 with nothing ticked: closing without a reason raises UncheckedItems
    naming the four items and leaves it resolved; with a reason it closes and the timeline has
    checklist.skipped with the items and the reason."""
    inc = _open(factory, "sev2")
    _resolve(factory, inc)
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc, for_update=True)
        with pytest.raises(checklists.UncheckedItems) as refused:
            checklists.close(s, incident, actor="ana", reason="  ")
        assert [e["item"] for e in refused.value.errors] == [
            "impact_normal",
            "before_after",
            "stakeholders_notified",
            "postmortem_scheduled",
        ]
    with factory() as s:
        assert incident_service.get(s, inc).status is Status.RESOLVED
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc, for_update=True)
        checklists.close(s, incident, actor="ana", reason="customer call, graphs later")
    with factory() as s:
        assert incident_service.get(s, inc).status is Status.CLOSED
        [entry] = s.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == checklists.SKIPPED)
        ).all()
        assert entry.actor == "ana"
        assert entry.data["reason"] == "customer call, graphs later"
        assert entry.data["items"] == [
            "impact_normal",
            "before_after",
            "stakeholders_notified",
            "postmortem_scheduled",
        ]


def test_close_with_every_item_answered_needs_no_reason(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Impact and evidence ticked, a resolution update posted, the postmortem dated: it closes
    without a reason and nothing is recorded as skipped."""
    inc = _open(factory, "sev2")
    _resolve(factory, inc)
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc)
        assert [i.id for i in checklists.close_blockers(s, incident)] == [
            "impact_normal",
            "before_after",
            "stakeholders_notified",
            "postmortem_scheduled",
        ]
        for item, value in (
            ("impact_normal", "https://grafana.example/d/1"),
            ("before_after", None),
            ("postmortem_scheduled", "2026-12-10"),
        ):
            checklists.tick(s, incident, "close", item, done=True, value=value, actor="ana")
        _update(s, inc, kind="resolution", status="resolved")
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc, for_update=True)
        assert checklists.close_blockers(s, incident) == []
        assert checklists.close(s, incident, actor="ana") == []
    with factory() as s:
        assert s.get(Incident, inc).status is Status.CLOSED  # type: ignore[union-attr]
        assert not s.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == checklists.SKIPPED)
        ).all()


def test_postmortem_not_required_for_sev4(factory: sessionmaker[Session], frozen: datetime) -> None:
    """SEV4 has no RCA window in the severity matrix: the postmortem item is done and marked
    not required; a postmortem date must be a real date."""
    inc = _open(factory, "sev4")
    with session_scope(factory) as s:
        incident = incident_service.get(s, inc)
        [pm] = [x for x in checklists.states(s, incident)["close"] if x.item.id.startswith("post")]
        assert (pm.done, pm.required) == (True, False)
        with pytest.raises(ValidationFailed):
            checklists.tick(
                s,
                incident,
                "close",
                "postmortem_scheduled",
                done=True,
                value="2026-02-30",
                actor="ana",
            )
