"""The engine starts the postmortem a resolved Sev1–3 incident owes (never a Sev4's), once,
with its due date, owner, reminders and the close checklist ticked; reopened and resolved again
the incident keeps it and its due date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.command import checklists
from plantao.db import session_scope
from plantao.engine.handlers import registry
from plantao.engine.reactions import ReactionStep
from plantao.engine.runner import EngineLoop
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.jobs.models import Job
from plantao.people.models import User
from plantao.postmortems import records, reminding, starting
from plantao.postmortems.models import Postmortem
from tests.factories.config import apply_config
from tests.factories.oncall import act, fire, settle, setup_oncall

CALENDAR = """business_calendars:
  - name: brasil
    team: sre
    time_zone: America/Sao_Paulo
    holidays: [{date: 2026-11-24, name: Folga}]
"""


def _loop(factory: sessionmaker[Session]) -> EngineLoop:
    """The reactions and every job kind, without delivering anything."""
    return EngineLoop(factory, registry(), steps=[ReactionStep()], slow_batch=10)


def _postmortem(factory: sessionmaker[Session], incident_id: int) -> Postmortem | None:
    with session_scope(factory) as s:
        row = records.for_incident(s, incident_id)
        if row is not None:
            s.expunge(row)
        return row


def _jobs(factory: sessionmaker[Session], kind: str) -> list[Job]:
    with session_scope(factory) as s:
        rows = list(s.scalars(select(Job).where(Job.kind == kind).order_by(Job.due_at, Job.id)))
        s.expunge_all()
        return rows


def test_resolving_a_sev2_starts_its_postmortem(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Resolved Sunday 12:00 UTC (09:00 in São Paulo, the 24th off): the engine starts a
    required postmortem due Thursday 09:00 there, owned by the IC, reminders armed, the close
    checklist's 'postmortem scheduled' ticked with that date."""
    setup_oncall(factory)
    apply_config(factory, CALENDAR)
    loop = _loop(factory)
    incident_id = fire(factory, "error")
    act(factory, incident_id, Action.ACKNOWLEDGE)
    settle(loop)  # ana acknowledged: she is the Incident Commander
    assert _postmortem(factory, incident_id) is None
    act(factory, incident_id, Action.RESOLVE)
    settle(loop)
    pm = _postmortem(factory, incident_id)
    assert pm is not None
    assert (pm.required, pm.status, pm.created_by) == (True, "draft", "plantao")
    assert pm.due_at == datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    with session_scope(factory) as s:
        owner = s.get(User, pm.owner_user_id)
        assert owner is not None and owner.handle == "ana"
        incident = incident_service.get(s, incident_id)
        tick = checklists.ticks(s, incident_id)["close"]["postmortem_scheduled"]
        assert (tick.value, tick.by) == ("2026-11-26", "plantao")
        close = {st.item.id: st for st in checklists.states(s, incident)["close"]}
        assert close["postmortem_scheduled"].done
    reminders = _jobs(factory, reminding.POSTMORTEM_JOB)
    assert len(reminders) == 9
    assert reminders[0].due_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert {j.payload["token"] for j in reminders} == {pm.reminder_token}
    assert [j.state for j in _jobs(factory, starting.JOB_KIND)] == ["done"]


def test_reopened_and_resolved_again_keeps_postmortem_and_due_date(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Reopened a day later and resolved again: the same postmortem, the same due date, no
    second start job that does anything."""
    setup_oncall(factory)
    loop = _loop(factory)
    incident_id = fire(factory, "error")
    act(factory, incident_id, Action.RESOLVE)
    settle(loop)
    first = _postmortem(factory, incident_id)
    assert first is not None and first.due_at is not None
    clock.advance(timedelta(days=1))
    act(factory, incident_id, Action.REOPEN)
    settle(loop)
    act(factory, incident_id, Action.RESOLVE)
    settle(loop)
    again = _postmortem(factory, incident_id)
    assert again is not None
    assert (again.id, again.due_at, again.version) == (first.id, first.due_at, first.version)
    assert len(_jobs(factory, starting.JOB_KIND)) == 1  # it had one: none was enqueued


def test_sev4_gets_none_automatically_but_can_be_started_by_hand(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A resolved Sev4 owes nothing, so the engine starts nothing; started by hand it has no
    due date, no reminders and the checklist is left alone."""
    setup_oncall(factory)
    loop = _loop(factory)
    incident_id = fire(factory, "info")
    act(factory, incident_id, Action.RESOLVE)
    settle(loop)
    assert _postmortem(factory, incident_id) is None
    assert _jobs(factory, starting.JOB_KIND) == []
    with session_scope(factory) as s:
        incident = incident_service.get(s, incident_id)
        pm, created = records.ensure(s, incident, actor="ana")
        assert created and not pm.required and pm.due_at is None
        assert "postmortem_scheduled" not in checklists.ticks(s, incident_id)["close"]
    assert _jobs(factory, reminding.POSTMORTEM_JOB) == []


def test_start_job_drops_when_already_started_or_reopened(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The job body starts nothing when a person started it first, or the incident reopened."""
    setup_oncall(factory)
    first = fire(factory, "error", "One")
    second = fire(factory, "error", "Two")
    for incident_id in (first, second):
        act(factory, incident_id, Action.RESOLVE)
    with session_scope(factory) as s:
        records.ensure(s, incident_service.get(s, first), actor="ana")
    act(factory, second, Action.REOPEN)
    with session_scope(factory) as s:
        assert starting.start(s, first) == "exists"
        assert starting.start(s, second) == "reopened"
        assert starting.start(s, 999_999) == "gone"
        count = s.scalar(select(func.count()).select_from(Postmortem))
    assert count == 1


def test_schedule_enqueues_once_per_incident(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Asked twice for the same resolved incident before the job ran, one job waits."""
    setup_oncall(factory)
    incident_id = fire(factory, "critical")
    act(factory, incident_id, Action.RESOLVE)
    with session_scope(factory) as s:
        incident = incident_service.get(s, incident_id)
        assert starting.schedule(s, [incident]) == 1
        assert starting.schedule(s, [incident, incident]) == 0
    jobs = _jobs(factory, starting.JOB_KIND)
    assert [(j.state, j.dedup_key) for j in jobs] == [
        ("pending", f"postmortems.start:{incident_id}")
    ]
