"""The incident state machine: every allowed and every forbidden transition."""

from __future__ import annotations

import itertools

import pytest

from plantao.errors import InvalidTransition
from plantao.incidents.lifecycle import Action, Status, allowed_actions, is_open, transition

ALLOWED = {
    (Status.TRIGGERED, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.TRIGGERED, Action.MITIGATE): Status.MITIGATED,
    (Status.TRIGGERED, Action.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Action.MITIGATE): Status.MITIGATED,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
    (Status.MITIGATED, Action.RESOLVE): Status.RESOLVED,
    (Status.MITIGATED, Action.REOPEN): Status.TRIGGERED,
    (Status.RESOLVED, Action.REOPEN): Status.TRIGGERED,
    (Status.RESOLVED, Action.CLOSE): Status.CLOSED,
}
ALL_PAIRS = list(itertools.product(Status, Action))


@pytest.mark.parametrize(("state", "action"), list(ALLOWED))
def test_allowed_transition(state: Status, action: Action) -> None:
    """Each allowed (state, action) pair leads to the documented next state."""
    assert transition(state, action) is ALLOWED[(state, action)]


@pytest.mark.parametrize(("state", "action"), [pair for pair in ALL_PAIRS if pair not in ALLOWED])
def test_forbidden_transition(state: Status, action: Action) -> None:
    """Every other pair raises InvalidTransition naming the state and what is allowed."""
    with pytest.raises(InvalidTransition) as info:
        transition(state, action)
    message = str(info.value)
    assert state.value in message
    assert "allowed:" in message
    for allowed in allowed_actions(state):
        assert allowed.value in message


def test_closed_is_final() -> None:
    """A closed incident allows nothing and says that closed is final."""
    assert allowed_actions(Status.CLOSED) == []
    with pytest.raises(InvalidTransition, match="closed is final"):
        transition(Status.CLOSED, Action.REOPEN)


def test_open_states() -> None:
    """Triggered, acknowledged and mitigated count as open; resolved and closed do not."""
    assert [s for s in Status if is_open(s)] == [
        Status.TRIGGERED,
        Status.ACKNOWLEDGED,
        Status.MITIGATED,
    ]
