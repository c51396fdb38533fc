"""Shift checklists: declared in plantao.yaml (or the seed's default), the current shift found
across a DST change, ticks kept per shift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.configfile.schema import ConfigError
from plantao.db import run_transaction
from plantao.errors import Conflict
from plantao.oncall import schedules, shift_checklists
from tests.factories.config import apply_config, apply_standard
from tests.factories.notify import user_id
from tests.factories.oncall import ONCALL

CHECKLIST = """
shift_checklists:
  - schedule: primary
    items:
      - {key: coffee, phase: start, en: Make coffee, pt-BR: Faça café}
      - {key: bye, phase: end, en: Say goodbye, pt-BR: Diga tchau}
"""
# New York leaves daylight time on 2026-11-01 at 02:00: the 09:00 hand-off moves from 13:00 to
# 14:00 UTC. Daily turns from 2026-10-31: ana (25 h long), bruno (1 November), ana...
NEW_YORK = """
schedules:
  - slug: nyc
    name: NYC
    time_zone: America/New_York
    layers:
      - name: daily
        rotation: {type: daily, handoff: "09:00", start: 2026-10-31, participants: [ana, bruno]}
"""


def _setup(factory: sessionmaker[Session]) -> None:
    apply_standard(factory)
    apply_config(factory, ONCALL)


def _items(factory: sessionmaker[Session], slug: str) -> tuple[list[str], bool]:
    with factory() as s:
        items, declared = shift_checklists.items_for(s, schedules.get(s, slug).id)
        return [i["key"] for i in items], declared


def test_default_until_declared_then_pruned_back(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """The seed's 20 items by default; a declared list replaces them; --prune restores them."""
    _setup(factory)
    keys, declared = _items(factory, "primary")
    assert len(keys) == 20 and keys[0] == "test-page" and declared is False
    changes = [str(c) for c in apply_config(factory, CHECKLIST)]
    assert changes.count("+ shift checklist primary") == 1
    assert _items(factory, "primary") == (["coffee", "bye"], True)
    assert not [c for c in apply_config(factory, CHECKLIST) if c.kind == "shift checklist"]
    reworded = CHECKLIST.replace("Say goodbye", "Say bye")
    assert "~ shift checklist primary" in [str(c) for c in apply_config(factory, reworded)]
    pruned = apply_config(factory, "shift_checklists: []\n", prune=True)
    assert "- shift checklist primary" in [str(c) for c in pruned]
    assert _items(factory, "primary")[1] is False


def test_checklist_naming_an_unknown_schedule_is_refused(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """A duplicate key, or a schedule the file does not declare, is a ConfigError; nothing kept."""
    _setup(factory)
    twice = CHECKLIST.replace("key: bye", "key: coffee")
    with pytest.raises(ConfigError, match="duplicate 'coffee'"):
        apply_config(factory, twice)
    with pytest.raises(ConfigError, match="unknown schedule 'nope'"):
        apply_config(factory, ONCALL + CHECKLIST.replace("primary", "nope"))
    with pytest.raises(LookupError, match="schedule 'nope' does not exist"):
        apply_config(factory, CHECKLIST.replace("primary", "nope"))
    assert _items(factory, "primary")[1] is False


def test_current_shift_across_fall_back_and_ticks_per_shift(
    factory: sessionmaker[Session], frozen: datetime
) -> None:
    """Ana's 31 October shift starts 13:00 UTC, her 1 November one 14:00 UTC (EST); a tick
    of the first is not a tick of the second."""
    _setup(factory)
    apply_config(factory, NEW_YORK)
    clock.freeze(datetime(2026, 10, 31, 15, 0, tzinfo=UTC))

    def tick(s: Session) -> None:
        shift_checklists.tick(s, "nyc", "calendar", user_id=user_id(s), handle="ana")

    with factory() as s:
        assert [x.schedule for x in shift_checklists.my_shifts(s, "bruno")] == []
    run_transaction(factory, tick)
    with factory() as s:
        [first] = [x for x in shift_checklists.my_shifts(s, "ana") if x.schedule == "nyc"]
    assert first.start == datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert first.end == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert set(first.ticked) == {"calendar"}
    clock.advance(timedelta(days=1))  # 1 November 15:00 UTC: bruno's turn since 14:00
    with pytest.raises(Conflict, match="not on call on schedule 'nyc'"):
        run_transaction(factory, tick)
    clock.advance(timedelta(days=1))  # 2 November: ana again, a new shift
    with factory() as s:
        [second] = [x for x in shift_checklists.my_shifts(s, "ana") if x.schedule == "nyc"]
    assert second.start == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert second.ticked == {}
