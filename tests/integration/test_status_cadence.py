"""Status updates on a cadence through the real engine, with the clock advanced: reminders fall
due per severity (Sev1 first message in 5 min then every 15, Sev2 30 min, Sev3 2 h, Sev4 never),
the incident is marked overdue, a posted update re-arms the timer, resolving stops it, a
severity change takes the new interval, and two engines never remind twice."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from plantao import clock
from plantao.cli.app import app
from plantao.command import cadence, reminding, updates
from plantao.command.models import IncidentRole, UpdateCadence
from plantao.command.update_schemas import StatusUpdateIn
from plantao.config import get_settings
from plantao.db import run_transaction
from plantao.engine.runner import EngineLoop
from plantao.errors import ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import TimelineEntry
from plantao.notify.models import Delivery
from plantao.people.models import User
from tests.factories.oncall import ONCALL, act, fire, oncall_loop, settle, setup_oncall

BRUNO = "{handle: bruno, name: Bruno}"
BRUNO_MAILED = (
    "{handle: bruno, name: Bruno, language: pt-BR, contact_methods: [{name: mail, type: email, "
    "address: bruno@example.com}], notification_rules: [{contact: mail, after: 0m}]}"
)
CONFIG = ONCALL.replace(BRUNO, BRUNO_MAILED)


def _overdue(factory: sessionmaker[Session], inc: int) -> list[TimelineEntry]:
    with factory() as s:
        return list(
            s.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.incident_id == inc, TimelineEntry.kind == reminding.OVERDUE)
                .order_by(TimelineEntry.id)
            )
        )


def _reminders(factory: sessionmaker[Session], inc: int) -> list[Delivery]:
    with factory() as s:
        return list(
            s.scalars(
                select(Delivery)
                .where(Delivery.incident_id == inc, Delivery.kind == "message")
                .order_by(Delivery.id)
            )
        )


def _due(factory: sessionmaker[Session], inc: int) -> cadence.Due | None:
    with factory() as s:
        return cadence.dues(s, [inc]).get(inc)


def _comms_lead(factory: sessionmaker[Session], inc: int, handle: str) -> None:
    def work(s: Session) -> None:
        user = s.scalars(select(User).where(User.handle == handle)).one()
        s.add(
            IncidentRole(
                incident_id=inc,
                role="comms_lead",
                user_id=user.id,
                assigned_by="ana",
                assigned_at=clock.now(),
            )
        )

    run_transaction(factory, work)


def _post(factory: sessionmaker[Session], inc: int, **fields: object) -> None:
    def work(s: Session) -> None:
        incident = incident_service.get(s, inc, for_update=True)
        body = {"status": "investigating", "impact": "checkout is down"} | fields
        updates.post(s, incident, StatusUpdateIn.model_validate(body), actor="ana")

    run_transaction(factory, work)


def _advance(loop: object, minutes: float) -> None:
    clock.advance(timedelta(minutes=minutes))
    settle(loop)  # type: ignore[arg-type]


def test_sev1_initial_message_due_in_5_minutes_then_every_15(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Sev1: nothing at 4 min; at 5 min the Comms Lead is reminded (an outbox message in her
    language), the incident is overdue; again 15 min later; an update re-arms for 15 min."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory)  # critical → sev1
    settle(loop)
    _comms_lead(factory, inc, "bruno")
    due = _due(factory, inc)
    assert due is not None and due.next_due_at == frozen + timedelta(minutes=5)
    assert not due.overdue
    _advance(loop, 4)
    assert _overdue(factory, inc) == [] and _reminders(factory, inc) == []
    _advance(loop, 1)
    [entry] = _overdue(factory, inc)
    assert entry.data["reminded"] == ["bruno"] and entry.data["as"] == "comms_lead"
    assert entry.at == frozen + timedelta(minutes=5)
    [message] = _reminders(factory, inc)
    assert message.channel == "email" and "atualização de status atrasada" in message.subject
    assert message.idempotency_key.startswith(f"remind:{inc}:1:")
    due = _due(factory, inc)
    assert due is not None and due.overdue and due.overdue_since == entry.at
    _advance(loop, 14)
    assert len(_overdue(factory, inc)) == 1
    _advance(loop, 1)
    assert [e.at for e in _overdue(factory, inc)] == [
        frozen + timedelta(minutes=5),
        frozen + timedelta(minutes=20),
    ]
    _post(factory, inc)
    due = _due(factory, inc)
    assert due is not None and not due.overdue and due.overdue_since is None
    assert due.next_due_at == frozen + timedelta(minutes=35)
    _advance(loop, 14)
    assert len(_overdue(factory, inc)) == 2
    _advance(loop, 1)
    assert len(_overdue(factory, inc)) == 3


@pytest.mark.parametrize(
    ("alert_severity", "minutes"), [("error", 30), ("warning", 120)], ids=["sev2", "sev3"]
)
def test_first_reminder_falls_due_one_interval_after_opening(
    factory: sessionmaker[Session], frozen: datetime, alert_severity: str, minutes: int
) -> None:
    """Sev2 is reminded at 30 min, Sev3 at 2 h, and not a minute earlier."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory, alert_severity)
    settle(loop)
    _advance(loop, minutes - 1)
    assert _overdue(factory, inc) == []
    _advance(loop, 1)
    assert [e.at for e in _overdue(factory, inc)] == [frozen + timedelta(minutes=minutes)]


def test_sev4_has_no_reminders(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Sev4 updates are due at close: no timer, no reminder after a day, never overdue."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory, "info")
    settle(loop)
    due = _due(factory, inc)
    assert due is not None and due.next_due_at is None and not due.overdue
    _advance(loop, 24 * 60)
    assert _overdue(factory, inc) == []


def test_resolving_stops_the_reminders_and_reopening_restarts_them(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Resolved before the due time: no reminder ever; reopened: due again 5 min later (Sev1)."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory)
    settle(loop)
    act(factory, inc, Action.RESOLVE)
    settle(loop)
    assert _due(factory, inc) is None
    _advance(loop, 60)
    assert _overdue(factory, inc) == []
    act(factory, inc, Action.REOPEN)
    settle(loop)
    due = _due(factory, inc)
    assert due is not None and due.next_due_at == frozen + timedelta(minutes=65)
    _advance(loop, 5)
    assert len(_overdue(factory, inc)) == 1


def test_a_severity_change_takes_the_new_interval(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Sev3 (2 h) raised to Sev1 at 10 min: the first message was due at 5 min, so the
    reminder goes at once; lowered to Sev4 afterwards: the timer has nothing left to remind."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory, "warning")
    settle(loop)
    clock.advance(timedelta(minutes=10))

    def change(s: Session, to: str) -> None:
        incident = incident_service.get(s, inc, for_update=True)
        incident_service.change_severity(s, incident, actor="ana", new=to)

    run_transaction(factory, lambda s: change(s, "sev1"))
    settle(loop)
    assert [e.at for e in _overdue(factory, inc)] == [frozen + timedelta(minutes=10)]
    run_transaction(factory, lambda s: change(s, "sev4"))
    settle(loop)
    due = _due(factory, inc)
    assert due is not None and due.next_due_at is None and not due.overdue
    _advance(loop, 60)
    assert len(_overdue(factory, inc)) == 1


def test_two_engines_never_remind_twice(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Two engine loops running at once on one database, and the same job replayed: one
    reminder, one message."""
    setup_oncall(factory, CONFIG)
    first, second = oncall_loop(factory), oncall_loop(factory)
    inc = fire(factory)
    settle(first)
    _comms_lead(factory, inc, "bruno")
    clock.advance(timedelta(minutes=5))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(engine_loop: EngineLoop) -> None:
        try:
            barrier.wait()
            settle(engine_loop)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(x,)) for x in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_overdue(factory, inc)) == 1
    assert len(_reminders(factory, inc)) == 1
    replay = run_transaction(factory, lambda s: reminding.remind(s, inc, 1))
    assert replay == "stale"
    assert len(_overdue(factory, inc)) == 1


def test_an_explicit_next_update_time_is_kept_within_bounds(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A poster may promise the next update sooner or later (up to twice the interval); a time
    outside the bounds is refused and changes nothing."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory)
    settle(loop)
    _post(factory, inc, next_update_at=(frozen + timedelta(minutes=25)).isoformat())
    due = _due(factory, inc)
    assert due is not None and due.next_due_at == frozen + timedelta(minutes=25)
    with pytest.raises(ValidationFailed, match="next_update_at"):
        _post(factory, inc, next_update_at=(frozen + timedelta(minutes=31)).isoformat())
    with factory() as s:
        assert len(updates.history(s, inc)) == 1
        row = s.get(UpdateCadence, inc)
        assert row is not None and row.next_due_at == frozen + timedelta(minutes=25)


def test_a_resolution_update_names_its_facts_and_ends_the_timer(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The resolution update carries the duration from triggered_at, root cause, fix,
    monitoring and postmortem date; kinds run initial → update → resolution; reminders end."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory)
    settle(loop)
    _post(factory, inc)
    clock.advance(timedelta(minutes=38))
    _post(factory, inc, status="identified", mitigation="rolled back")
    resolution = {
        "root_cause": "connection leak",
        "fix": "rollback to v1.2.0",
        "monitoring": "next 2 hours",
        "postmortem_at": (frozen + timedelta(days=1)).isoformat(),
    }
    _post(factory, inc, status="resolved", resolution=resolution)
    with factory() as s:
        posted = updates.history(s, inc)
        assert [u.kind for u in posted] == ["resolution", "update", "initial"]
        assert posted[0].resolution is not None
        assert posted[0].resolution["duration_minutes"] == 38
        assert posted[0].next_update_due_at is None
        entry = s.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == inc, TimelineEntry.kind == updates.POSTED)
            .order_by(TimelineEntry.id.desc())
        ).first()
        assert entry is not None and entry.message.startswith("Resolved (resolved):")
    assert _due(factory, inc) is None
    _advance(loop, 120)
    assert _overdue(factory, inc) == []


def test_cli_posts_and_lists_updates(
    factory: sessionmaker[Session], frozen: datetime, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """plantao incidents update posts (the next due time printed), refuses a resolved update
    without its facts (exit 1, reason on stderr, nothing posted), and updates lists them."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory)
    settle(loop)
    monkeypatch.setenv("PLANTAO_DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ok = runner.invoke(
            app,
            ["incidents", "update", str(inc), "--status", "identified", "--impact",
             "10% of checkouts fail", "--step", "roll back|ana|2026-11-22T12:30:00+00:00"],
        )  # fmt: skip
        assert ok.exit_code == 0, ok.output
        assert ok.output.strip().endswith(
            "initial update posted (identified); next update due 2026-11-22 12:15 UTC"
        )
        bad = runner.invoke(
            app, ["incidents", "update", str(inc), "--status", "resolved", "--impact", "x"]
        )
        assert bad.exit_code == 1 and "root_cause" in bad.output
        listed = runner.invoke(app, ["incidents", "updates", str(inc), "--json"])
        assert listed.exit_code == 0, listed.output
        [row] = json.loads(listed.output)
        assert row["next_steps"] == [
            {"action": "roll back", "owner": "ana", "eta": "2026-11-22T12:30:00+00:00"}
        ]
        assert row["posted_by"].startswith("cli:")
    finally:
        get_settings.cache_clear()


def test_without_a_comms_lead_the_commander_is_reminded_else_nobody_is_said(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """No Comms Lead: the IC (ana, commander since she acknowledged) is reminded; on an
    incident nobody holds a hat on or responds to, the overdue entry says nobody was reminded."""
    loop = setup_oncall(factory, CONFIG)
    inc = fire(factory)
    settle(loop)
    act(factory, inc, Action.ACKNOWLEDGE)  # ana: the on-call who acknowledges is IC (seed 002)
    settle(loop)
    other = fire(factory, name="Other")
    settle(loop)
    _advance(loop, 5)
    [entry] = _overdue(factory, inc)
    assert entry.data["as"] == "incident_commander" and entry.data["reminded"] == ["ana"]
    [lonely] = _overdue(factory, other)
    assert lonely.data["reminded"] == []
    assert lonely.message.endswith("reminded nobody (no Comms Lead, IC or responder)")
