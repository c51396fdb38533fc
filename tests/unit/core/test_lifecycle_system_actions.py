"""Moves Plantão makes itself (a snooze's end) are in the lifecycle but out of what a person
can ask for."""

from __future__ import annotations

import pytest

from plantao.errors import InvalidTransition
from plantao.incidents.lifecycle import (
    Action,
    Status,
    SystemAction,
    allowed_actions,
    system_transition,
)


def test_snooze_end_takes_an_acknowledged_incident_back_to_triggered() -> None:
    """Acknowledged → triggered when a snooze runs out."""
    assert system_transition(Status.ACKNOWLEDGED, SystemAction.SNOOZE_END) is Status.TRIGGERED


@pytest.mark.parametrize("status", [s for s in Status if s is not Status.ACKNOWLEDGED])
def test_snooze_end_only_from_acknowledged(status: Status) -> None:
    """From any other state the move is refused, naming the state."""
    with pytest.raises(InvalidTransition, match=f"cannot snooze end an incident that is {status}"):
        system_transition(status, SystemAction.SNOOZE_END)


def test_no_person_can_ask_for_it() -> None:
    """It is not an Action (no URL or CLI argument parses to it) nor ever allowed to a person."""
    with pytest.raises(ValueError, match="snooze_end"):
        Action("snooze_end")
    assert all(SystemAction.SNOOZE_END.value not in allowed_actions(s) for s in Status)
