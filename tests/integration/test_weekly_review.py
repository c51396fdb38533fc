"""The weekly operational review of a scripted week, on SQLite and PostgreSQL: every figure of
the team's week in its São Paulo calendar, the installation's week in UTC, private titles, and
the recurring job that e-mails each team once a week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.configfile.schema import ConfigError, load_text
from plantao.db import run_transaction
from plantao.engine.handlers import registry
from plantao.engine.runner import EngineLoop
from plantao.engine.weekly_review_step import WeeklyReviewStep
from plantao.errors import NotFound
from plantao.jobs.models import Job
from plantao.jobs.service import Claimed
from plantao.notify.models import Delivery
from plantao.people.models import User
from plantao.postmortems import iso_weeks, weekly_gather, weekly_schedule
from plantao.postmortems.iso_weeks import SendTime
from plantao.postmortems.models import ReviewSending
from plantao.postmortems.weekly_facts import WeeklyFacts, redacted
from plantao.postmortems.weekly_schedule import ReviewSetting
from tests.factories import weekly_review
from tests.factories.config import apply_config
from tests.factories.weekly_review import NOW, WEEK


@pytest.fixture
def now() -> Iterator[datetime]:
    clock.freeze(NOW)
    yield NOW
    clock.unfreeze()


def _gather(factory: sessionmaker[Session], team: str | None) -> WeeklyFacts:
    with factory() as s:
        return weekly_gather.gather(s, iso_weeks.parse(WEEK), team)


def test_team_week_has_every_figure(factory: sessionmaker[Session], now: datetime) -> None:
    """The payments review of 2026-W49 counts what happened in its São Paulo week, with the
    previous week beside it, medians against targets, and leaves the other team out."""
    week = weekly_review.script(factory)
    f = _gather(factory, "payments")
    assert (f.week, f.time_zone, f.team, f.complete) == (
        WEEK,
        "America/Sao_Paulo",
        "payments",
        True,
    )
    assert f.starts_at == datetime(2026, 11, 30, 3, tzinfo=UTC)
    assert (f.incidents.current, f.incidents.previous) == (5, 1)
    rows = {r.severity: r for r in f.severities}
    assert [(r.opened.current, r.opened.previous, r.still_open) for r in f.severities] == [
        (2, 0, 0),
        (1, 1, 1),
        (1, 0, 1),
        (1, 0, 0),
    ]
    assert (rows["sev1"].mtta_median, rows["sev1"].mttr_median) == (420, 4200)
    assert (rows["sev1"].mtta_met, rows["sev1"].mttr_met) == (False, False)
    assert (rows["sev2"].mtta_median, rows["sev2"].mtta_target, rows["sev2"].mtta_met) == (
        1200,
        900,
        False,
    )
    assert rows["sev2"].mttr_median is None
    assert rows["sev4"].mttr_median == 1800 and rows["sev4"].mttr_target is None
    assert [i.ref for i in f.major_incidents] == [week.refs[k] for k in ("A", "B", "C")]
    assert [p.ref for p in f.postmortems_due] == [week.refs["A"], week.refs["B"]]
    assert (f.postmortems_due_count.current, f.postmortems_due_count.previous) == (2, 1)
    assert [p.ref for p in f.postmortems_overdue] == [week.refs["G"], week.refs["B"]]
    assert [p.ref for p in f.postmortems_published] == [week.refs["A"]]
    assert (f.postmortems_published_count.current, f.postmortems_published_count.previous) == (
        1,
        0,
    )
    assert f.postmortems_due[1].owner == "bob"
    assert [a.ref for a in f.actions_due] == [week.actions["a"], week.actions["b"]]
    assert (f.actions_due_count.current, f.actions_due_count.previous) == (2, 1)
    assert [a.ref for a in f.actions_overdue] == [week.actions["b"], week.actions["c"]]
    assert [a.ref for a in f.actions_done] == [week.actions["a"]]
    assert (f.actions_done_count.current, f.actions_done_count.previous) == (1, 1)
    assert [a.ref for a in f.must_fix_open] == [week.actions["b"], week.actions["c"]]
    [gate] = f.gate_blocks
    assert (gate.service, gate.blocks, gate.actions, gate.incidents) == (
        "pay",
        2,
        (week.actions["b"],),
        (week.refs["C"],),
    )
    assert (f.gate_blocks_count.current, f.gate_blocks_count.previous) == (2, 1)


def test_installation_week_is_counted_in_utc(factory: sessionmaker[Session], now: datetime) -> None:
    """Without a team the review covers every service in the default zone (UTC here): the
    Sev4 of Sunday night in São Paulo falls in the next UTC week, the other team's Sev1 counts."""
    weekly_review.script(factory)
    f = _gather(factory, None)
    assert (f.team, f.time_zone) == (None, "UTC")
    assert [r.opened.current for r in f.severities] == [3, 1, 1, 0]
    assert f.gate_blocks_count.current == 3
    assert {g.service for g in f.gate_blocks} == {"pay", "other"}


def test_private_titles_show_only_to_those_who_may_see_them(
    factory: sessionmaker[Session], now: datetime
) -> None:
    """The private Sev2 is counted for everyone; its title shows to its responder and admins."""
    week = weekly_review.script(factory)
    f = _gather(factory, "payments")
    with factory() as s:
        bob = s.scalars(select(User).where(User.handle == "bob")).one()
        dora = s.scalars(select(User).where(User.handle == "dora")).one()
        for_bob = redacted(f, weekly_gather.visible_private(s, f, bob.id, False))
        for_dora = redacted(f, weekly_gather.visible_private(s, f, dora.id, False))
        for_admin = redacted(f, weekly_gather.visible_private(s, f, bob.id, True))
    private = week.incidents["C"]
    assert [i.title for i in for_bob.major_incidents if i.incident_id == private] == [None]
    assert [i.title for i in for_dora.major_incidents if i.incident_id == private] == ["Incident C"]
    assert [i.title for i in for_admin.major_incidents if i.incident_id == private] == [
        "Incident C"
    ]
    assert for_bob.severities[1].opened.current == 1


def test_unknown_team_is_not_found(factory: sessionmaker[Session], now: datetime) -> None:
    """A review of a team that does not exist says so."""
    weekly_review.people(factory)
    with factory() as s, pytest.raises(NotFound, match="team 'nope'"):
        weekly_gather.gather(s, iso_weeks.parse(WEEK), "nope")


def _loop(factory: sessionmaker[Session]) -> EngineLoop:
    return EngineLoop(factory=factory, kinds=registry(Settings(env="test")), steps=[])


def _jobs(factory: sessionmaker[Session]) -> list[Job]:
    with factory() as s:
        return list(
            s.scalars(select(Job).where(Job.kind == weekly_schedule.JOB_KIND).order_by(Job.id))
        )


def _mail(factory: sessionmaker[Session]) -> list[tuple[str, str, str | None, str]]:
    with factory() as s:
        rows = s.execute(
            select(Delivery.idempotency_key, Delivery.channel, Delivery.address, Delivery.subject)
            .where(Delivery.step == "weekly_review")
            .order_by(Delivery.idempotency_key)
        ).tuples()
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_job_sends_each_team_once_and_reschedules(
    factory: sessionmaker[Session], now: datetime
) -> None:
    """The engine's first cycle schedules the job for the next Monday 09:00 (the earliest of
    the teams' zones); run then, it e-mails every member with an address of each team whose
    09:00 has come, once even when run again, and schedules the next one."""
    weekly_review.script(factory)
    step = WeeklyReviewStep()
    step(factory, "w1")
    WeeklyReviewStep()(factory, "w2")  # a second engine starting: still one job
    [job] = _jobs(factory)
    monday_utc = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # ops and quiet: UTC
    assert job.state == "pending" and job.due_at == monday_utc
    clock.freeze(monday_utc)
    assert _loop(factory).run_once() == 1
    mail = _mail(factory)
    assert [m[0].split(":")[1] for m in mail] == ["ops"]  # payments: 09:00 is 12:00 UTC
    jobs = _jobs(factory)
    assert [j.state for j in jobs] == ["done", "pending"]
    payments_at = datetime(2026, 12, 14, 12, 0, tzinfo=UTC)
    assert jobs[1].due_at == payments_at
    clock.freeze(payments_at + timedelta(seconds=5))
    _loop(factory).run_once()
    mail = _mail(factory)
    with factory() as s:
        sendings = {(r.team_key, r.week, r.recipients) for r in s.scalars(select(ReviewSending))}
    assert sendings == {("ops", "2026-W50", 1), ("payments", "2026-W50", 2)}
    payments = [m for m in mail if ":payments:" in m[0]]
    # ana: her e-mail contact method (pt-BR); bob: the address on his profile; carl: nothing
    assert [(m[1], m[2]) for m in payments] == [("email", None), ("email", "bob@example.com")]
    assert payments[0][3].startswith("Revisão operacional semanal 2026-W50")
    assert payments[1][3] == "Weekly operational review 2026-W50 — Payments"
    # replay: the same job's work again sends nothing new and adds no second successor
    before = len(_mail(factory))
    replay = Claimed(jobs[1].id, weekly_schedule.JOB_KIND, {}, 2, "w2")
    weekly_schedule.run_job(factory, replay, "http://x")
    assert len(_mail(factory)) == before
    pending = [j for j in _jobs(factory) if j.state == "pending"]
    assert [j.due_at for j in pending] == [datetime(2026, 12, 21, 9, 0, tzinfo=UTC)]


def test_quiet_team_without_addresses_gets_nothing(
    factory: sessionmaker[Session], now: datetime
) -> None:
    """A team whose members have no e-mail address is skipped and nothing is recorded."""
    weekly_review.people(factory)
    clock.freeze(datetime(2026, 12, 14, 9, 30, tzinfo=UTC))
    sent = run_transaction(factory, lambda s: weekly_schedule.run(s, ""))
    assert {(x.team, x.recipients) for x in sent} == {("ops", 1), ("quiet", 0)}
    with factory() as s:
        assert {r.team_key for r in s.scalars(select(ReviewSending))} == {"ops"}


def test_setting_moves_the_job_and_disabling_stops_it(
    factory: sessionmaker[Session], now: datetime
) -> None:
    """Friday 17:00 moves the pending job; disabled, the job sends nothing and ends."""
    weekly_review.people(factory)
    run_transaction(factory, weekly_schedule.ensure_job)
    friday = ReviewSetting(True, SendTime("friday", iso_weeks.parse_time("17:00")))
    assert run_transaction(factory, lambda s: weekly_schedule.configure(s, friday)) == "create"
    assert run_transaction(factory, lambda s: weekly_schedule.configure(s, friday)) == "keep"
    [job] = _jobs(factory)
    assert job.due_at == datetime(2026, 12, 11, 17, 0, tzinfo=UTC)
    off = ReviewSetting(False, friday.send)
    assert run_transaction(factory, lambda s: weekly_schedule.configure(s, off)) == "update"
    clock.freeze(datetime(2026, 12, 11, 17, 0, tzinfo=UTC))
    _loop(factory).run_once()
    assert [j.state for j in _jobs(factory)] == ["done"]
    assert _mail(factory) == []


def test_apply_stores_the_setting_once_and_reads_an_unquoted_time(
    factory: sessionmaker[Session], now: datetime
) -> None:
    """``operational_review`` in plantao.yaml is stored (YAML's base-60 ``10:30`` read back as
    10:30), reported once, and moves the job; applying it again changes nothing."""
    text = weekly_review.PEOPLE + "operational_review: {weekday: Tuesday, time: 10:30}\n"
    changes = [str(c) for c in apply_config(factory, text)]
    assert "+ operational review operational_review" in changes
    again = [str(c) for c in apply_config(factory, text)]
    assert not [c for c in again if "operational review" in c]
    with factory() as s:
        stored = weekly_schedule.setting(s)
    assert (stored.send.weekday, stored.send.at.strftime("%H:%M")) == ("tuesday", "10:30")
    [job] = _jobs(factory)
    assert job.due_at == datetime(2026, 12, 15, 10, 30, tzinfo=UTC)


def test_a_bad_setting_is_refused_by_the_file_schema() -> None:
    """A weekday or time that is not one is a ConfigError naming the field."""
    for bad in ("{weekday: someday}", '{time: "25:00"}'):
        with pytest.raises(ConfigError, match="operational_review"):
            load_text(f"version: 1\noperational_review: {bad}\n")
