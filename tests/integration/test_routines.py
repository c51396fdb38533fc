"""Recurring operational routines: declared in plantao.yaml, created by the engine at the due
instant for whoever is on call, reminded once, exactly once with two engines."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.configfile.schema import ConfigError
from plantao.db import run_transaction
from plantao.errors import Conflict
from plantao.oncall import routines
from plantao.people.models import User
from tests.factories.config import apply_config
from tests.factories.routines import (
    DAILY_REVIEW,
    all_tasks,
    routine_messages,
    run_step,
    setup_routines,
)


def test_task_is_created_at_the_due_instant_for_whoever_is_on_call(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Nothing before 09:30 São Paulo; at 09:30 one task for ana, messaged once."""
    setup_routines(factory)
    assert run_step(factory) == (0, 0)  # yesterday's 09:30 predates the routine
    clock.advance(timedelta(minutes=29))
    assert run_step(factory) == (0, 0)
    clock.advance(timedelta(minutes=1))
    assert run_step(factory) == (1, 0)
    assert run_step(factory) == (0, 0)
    [task] = all_tasks(factory)
    assert task.due_at == datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
    with factory() as s:
        ana = s.get(User, task.assignee_user_id)
        assert ana is not None and ana.handle == "ana"
    [message] = routine_messages(factory)
    assert message.reason == "routine due" and "Review the last 24 h of alerts" in message.text


def test_reminder_goes_once_after_remind_after_unless_done(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """An open task is reminded once an hour after due; a task done in time is not."""
    setup_routines(factory)
    clock.advance(timedelta(minutes=30))
    run_step(factory)
    clock.advance(timedelta(minutes=59))
    assert run_step(factory) == (0, 0)
    clock.advance(timedelta(minutes=1))
    assert run_step(factory) == (0, 1)
    clock.advance(timedelta(hours=3))
    assert run_step(factory) == (0, 0)
    reasons = [m.reason for m in routine_messages(factory)]
    assert reasons == ["routine due", "routine reminder"]
    clock.advance(timedelta(hours=20))  # next day 09:30 São Paulo
    assert run_step(factory) == (1, 0)
    newest = all_tasks(factory)[-1]
    run_transaction(factory, lambda s: routines.mark_done(s, newest.id, actor="ana"))
    clock.advance(timedelta(hours=2))
    assert run_step(factory) == (0, 0)


def test_two_engines_create_one_task(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Two engines running the step at the same instant create one task and one message."""
    setup_routines(factory)
    clock.advance(timedelta(minutes=30))
    barrier = threading.Barrier(2)
    created: list[int] = []

    def engine() -> None:
        barrier.wait()
        created.append(run_transaction(factory, routines.create_due_tasks))

    threads = [threading.Thread(target=engine) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(created) == [0, 1]
    assert len(all_tasks(factory)) == 1
    assert len(routine_messages(factory)) == 1


def test_done_twice_is_a_conflict(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Marking a done task done again is a Conflict naming who did it; reopen undoes it."""
    setup_routines(factory)
    clock.advance(timedelta(minutes=30))
    run_step(factory)
    [task] = all_tasks(factory)
    run_transaction(factory, lambda s: routines.mark_done(s, task.id, actor="ana", note="ok"))
    with pytest.raises(Conflict, match="already done by ana"):
        run_transaction(factory, lambda s: routines.mark_done(s, task.id, actor="bruno"))
    run_transaction(factory, lambda s: routines.reopen(s, task.id))
    assert all_tasks(factory)[0].done_at is None


def test_apply_is_idempotent_and_shows_changes(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Applying the same file again changes nothing; a new time is one update line."""
    setup_routines(factory)
    assert [str(c) for c in apply_config(factory, DAILY_REVIEW) if "routine" in c.kind] == []
    changed = apply_config(factory, DAILY_REVIEW.replace('"09:30"', "10:00"))
    assert [str(c) for c in changed if "routine" in c.kind] == ["~ routine daily-alert-review"]
    with factory() as s:
        assert routines.get(s, "daily-alert-review").recurrence["at"] == "10:00"


def test_prune_removes_routines_the_file_no_longer_declares(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Without --prune a routine left out of the file stays; with it, it is deleted."""
    setup_routines(factory)
    assert not [c for c in apply_config(factory, "routines: []") if "routine" in c.kind]
    with factory() as s:
        assert [r.slug for r in routines.list_routines(s)] == ["daily-alert-review"]
    changes = apply_config(factory, "routines: []\n", prune=True)
    assert "- routine daily-alert-review" in [str(c) for c in changes]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (DAILY_REVIEW.replace("every: daily", "every: hourly"), "routines[0].every"),
        (DAILY_REVIEW.replace("America/Sao_Paulo", "Mars/Olympus"), "time_zone"),
        (DAILY_REVIEW.replace("remind_after: 1h", "remind_after: 10s"), "routines[0].remind_after"),
        (DAILY_REVIEW.replace("every: daily", "every: daily\n    day: 3"), "day: only for"),
    ],
)
def test_bad_routines_are_refused_before_anything_is_applied(
    factory: sessionmaker[Session], frozen: datetime, broken: str, message: str
) -> None:
    """A bad rule is a ConfigError naming the field; no routine is created."""
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        apply_config(factory, broken)
    with factory() as s:
        assert routines.list_routines(s) == []


def test_unknown_team_in_the_database_is_refused(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A routine naming a team that exists neither in the file nor stored is refused."""
    with pytest.raises(LookupError, match="unknown team 'sre'"):
        apply_config(factory, DAILY_REVIEW)


def test_the_documented_examples_apply(factory: sessionmaker[Session], frozen: datetime) -> None:
    """Every YAML example in docs/shift-routines.md applies as written; again, nothing."""
    import re
    from pathlib import Path

    doc = Path(__file__).parents[2] / "docs" / "shift-routines.md"
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2
    setup_routines(factory, "routines: []\n")
    for block in blocks:
        assert apply_config(factory, block)
        assert not [c for c in apply_config(factory, block) if c.action != "keep"]
    with factory() as s:
        assert [r.slug for r in routines.list_routines(s)] == [
            "daily-alert-review",
            "monthly-restore-test",
            "quarterly-dr-drill",
            "weekly-cost-vs-budget",
        ]


def test_engine_step_runs_at_most_every_interval(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The engine's routine step creates the due task, then rests for its interval."""
    from plantao.engine.routine_step import RoutineStep

    setup_routines(factory)
    step = RoutineStep(every=3600.0)
    assert step(factory, "engine-1") == 0  # nothing due yet; the step now rests
    clock.advance(timedelta(minutes=30))
    assert step(factory, "engine-1") == 0  # resting: the due task waits for the next run
    assert all_tasks(factory) == []
    assert RoutineStep(every=3600.0)(factory, "engine-2") == 1
    assert len(all_tasks(factory)) == 1
