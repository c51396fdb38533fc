"""Due-date reminders through the real engine with the clock advanced: a postmortem's owner
hears 24 h before, at due, then daily while overdue; an action's owner at 09:00 local the day
before, on the day, then daily; re-armed, stale, finished and replayed jobs send nothing
twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import get_settings
from plantao.db import session_scope
from plantao.engine.runner import EngineLoop
from plantao.engine.step import JobKind, by_name
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.jobs.models import Job
from plantao.notify.models import Delivery
from plantao.people.models import User
from plantao.postmortems import records, reminding
from plantao.postmortems.models import CorrectiveAction, Postmortem
from tests.factories.oncall import ANA, ONCALL, act, fire, settle, setup_oncall

#: ana, reached by e-mail at once, in São Paulo (09:00 there is 12:00 UTC).
ANA_MAILED = (
    "{handle: ana, name: Ana, time_zone: America/Sao_Paulo, language: LANG, contact_methods: "
    "[{name: mail, type: email, address: ana@example.com}], notification_rules: "
    "[{contact: mail, after: 0m}]}"
)
#: Frozen Sunday 12:00 UTC + 3 business days (no calendar: Monday–Friday in UTC).
DUE = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _setup(factory: sessionmaker[Session], language: str = "en") -> EngineLoop:
    setup_oncall(factory, ONCALL.replace(ANA, ANA_MAILED.replace("LANG", language)))
    kinds = by_name(
        JobKind(reminding.POSTMORTEM_JOB, reminding.postmortem_job),
        JobKind(reminding.ACTION_JOB, reminding.action_job),
    )
    return EngineLoop(factory, kinds, steps=[], slow_batch=10)


def _ana(s: Session) -> User:
    return s.scalars(select(User).where(User.handle == "ana")).one()


def _owned_postmortem(factory: sessionmaker[Session]) -> int:
    """A resolved Sev2's postmortem (no IC, so no owner), then given to ana and armed."""
    incident_id = fire(factory, "error")
    act(factory, incident_id, Action.RESOLVE)
    with session_scope(factory) as s:
        pm, _ = records.ensure(s, incident_service.get(s, incident_id), actor="bruno")
        assert pm.owner_user_id is None and pm.due_at == DUE
        pm.owner_user_id = _ana(s).id
        assert reminding.arm_postmortem(s, pm) == 9
        return pm.id


def _messages(factory: sessionmaker[Session]) -> list[Delivery]:
    with session_scope(factory) as s:
        rows = list(
            s.scalars(
                select(Delivery)
                .where(Delivery.kind == "message", Delivery.user_id == _ana(s).id)
                .order_by(Delivery.id)
            )
        )
        s.expunge_all()
        return rows


def _at(loop: EngineLoop, when: datetime) -> None:
    clock.freeze(when)
    settle(loop)


def _jobs(factory: sessionmaker[Session], kind: str) -> list[Job]:
    with session_scope(factory) as s:
        rows = list(s.scalars(select(Job).where(Job.kind == kind).order_by(Job.due_at, Job.id)))
        s.expunge_all()
        return rows


def test_postmortem_schedule_is_before_due_and_seven_overdue() -> None:
    """24 h before, at due, then every 24 h seven times."""
    instants = reminding.postmortem_instants(DUE)
    assert instants[0] == DUE - timedelta(hours=24)
    assert instants[1] == DUE
    assert instants[2:] == [DUE + timedelta(days=n) for n in range(1, 8)]


def test_action_schedule_is_nine_local_in_the_owner_zone() -> None:
    """09:00 in São Paulo the day before, on the day and seven days after; UTC for a bad zone."""
    instants = reminding.action_instants(date(2026, 11, 26), "America/Sao_Paulo")
    assert instants[0] == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert instants[-1] == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert len(instants) == 9
    tokyo = reminding.action_instants(date(2026, 11, 26), "Asia/Tokyo")
    assert tokyo[1] == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    assert reminding.action_instants(date(2026, 11, 26), "Nowhere/Land")[1].hour == 9


def test_postmortem_reminders_fall_due_and_stop_when_published(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Nothing before its time; one message 24 h before (with the link), one at due, one a day
    late; none once published."""
    loop = _setup(factory)
    pm_id = _owned_postmortem(factory)
    settle(loop)
    assert _messages(factory) == []
    _at(loop, DUE - timedelta(hours=24))
    first = _messages(factory)
    assert len(first) == 1
    assert "postmortem due in 24 h" in first[0].subject
    assert f"{get_settings().base_url.rstrip('/')}/postmortems/{pm_id}" in first[0].text
    _at(loop, DUE)
    assert "due now" in _messages(factory)[-1].subject
    _at(loop, DUE + timedelta(days=1))
    late = _messages(factory)
    assert len(late) == 3 and "overdue (1 d)" in late[-1].subject
    with session_scope(factory) as s:
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        pm.status = "published"
    _at(loop, DUE + timedelta(days=2))
    assert len(_messages(factory)) == 3
    states = [j.state for j in _jobs(factory, reminding.POSTMORTEM_JOB)]
    assert states[:4] == ["done"] * 4 and states[4:] == ["pending"] * 5


def test_overdue_reminders_stop_after_seven(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A postmortem never finished gets 9 reminders in all (before, at due, 7 overdue)."""
    loop = _setup(factory)
    _owned_postmortem(factory)
    for day in range(-1, 12):
        _at(loop, DUE + timedelta(days=day))
    messages = _messages(factory)
    assert len(messages) == 9
    assert "overdue (7 d)" in messages[-1].subject


def test_rearm_drops_stale_jobs_and_replays_send_once(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Armed again (owner or due date edited) the old jobs drop; a replayed job and a second
    copy of it add no message."""
    loop = _setup(factory)
    pm_id = _owned_postmortem(factory)
    _at(loop, DUE - timedelta(hours=24))
    done = [j for j in _jobs(factory, reminding.POSTMORTEM_JOB) if j.state == "done"]
    assert len(done) == 1
    with session_scope(factory) as s:
        assert reminding.remind_postmortem(s, done[0].payload) == "nothing_new"
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        assert reminding.arm_postmortem(s, pm) == 8  # the 24-h-before one is past
        token = pm.reminder_token
        assert reminding.remind_postmortem(s, done[0].payload) == "stale"
    _at(loop, DUE)
    assert len(_messages(factory)) == 2  # one 'due now', not one per token
    with session_scope(factory) as s:
        jobs = s.scalars(
            select(Job).where(Job.kind == reminding.POSTMORTEM_JOB, Job.state == "done")
        ).all()
        payload = next(j.payload for j in jobs if j.payload["token"] == token)
        assert reminding.remind_postmortem(s, payload) == "nothing_new"
    assert len(_messages(factory)) == 2


def test_due_date_moved_without_rearm_drops_the_job(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A job for a due date the postmortem no longer has sends nothing."""
    loop = _setup(factory)
    pm_id = _owned_postmortem(factory)
    with session_scope(factory) as s:
        pm = s.get(Postmortem, pm_id)
        assert pm is not None
        pm.due_at = DUE + timedelta(days=10)
    _at(loop, DUE)
    assert _messages(factory) == []


def _action(factory: sessionmaker[Session], due: date, armed: int = 9) -> int:
    incident_id = fire(factory, "error")
    act(factory, incident_id, Action.RESOLVE)
    with session_scope(factory) as s:
        incident = incident_service.get(s, incident_id)
        pm, _ = records.ensure(s, incident, actor="bruno")
        row = CorrectiveAction(
            postmortem_id=pm.id,
            incident_id=incident.id,
            service_id=incident.service_id,
            title="Add a canary for the checkout config",
            owner_user_id=_ana(s).id,
            due_date=due,
            severity="sev2",
            kind="prevention",
            must_fix=True,
            status="open",
            created_by="bruno",
            created_at=clock.now(),
            updated_at=clock.now(),
            reminder_token=0,
        )
        s.add(row)
        s.flush()
        assert reminding.arm_action(s, row) == armed
        return row.id


def test_action_reminders_in_owner_language_and_zone(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """ana (pt-BR, São Paulo) hears at 09:00 her time the day before and on the day, in
    Portuguese, with the action's link; done and re-armed, nothing more."""
    loop = _setup(factory, "pt-BR")
    action_id = _action(factory, date(2026, 11, 26))
    _at(loop, datetime(2026, 11, 25, 11, 59, tzinfo=UTC))
    assert _messages(factory) == []
    _at(loop, datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    first = _messages(factory)
    assert len(first) == 1
    ref = f"AC-{action_id:02d}"
    assert first[0].subject == f"[{ref}] ação corretiva vence amanhã"
    assert f"/actions/{ref}" in first[0].text and "Olá Ana" in first[0].text
    _at(loop, datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    assert _messages(factory)[-1].subject == f"[{ref}] ação corretiva vence hoje"
    with session_scope(factory) as s:
        action = s.get(CorrectiveAction, action_id)
        assert action is not None
        action.status, action.done_at = "done", clock.now()
        assert reminding.arm_action(s, action) == 0
    _at(loop, datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    assert len(_messages(factory)) == 2


def test_action_finished_without_rearm_is_not_reminded(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """An action marked won't-do (even if nobody re-armed it) gets no overdue reminder."""
    loop = _setup(factory)
    action_id = _action(factory, date(2026, 11, 23), armed=8)  # the day before is now: past
    _at(loop, datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    assert "due today" in _messages(factory)[-1].subject
    with session_scope(factory) as s:
        action = s.get(CorrectiveAction, action_id)
        assert action is not None
        action.status, action.reason = "wont_do", "replaced by AC-99"
    _at(loop, datetime(2026, 11, 24, 12, 0, tzinfo=UTC))
    assert len(_messages(factory)) == 1
