"""The incident lifecycle as a pure state machine.

Seed 002's lifecycle (detect → declare → stabilize → diagnose → resolve → RCA) maps onto the
states a pager can observe: triggered, acknowledged (someone owns it), mitigated (impact stopped,
cause may remain), resolved (service normal), closed (follow-up done; terminal). A resolved
incident can be reopened (the alert fired again, or a responder saw the fix did not hold); a
closed one cannot — a new incident is opened instead, so closed postmortems stay closed.
"""

from __future__ import annotations

from enum import StrEnum

from plantao.errors import InvalidTransition


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"


class SystemAction(StrEnum):
    """Moves Plantão makes itself, never a person: kept out of :class:`Action` so no URL, CLI
    argument or API body can name them, and out of :func:`allowed_actions`.

    ``SNOOZE_END``: a snooze ran out (``oncall.snooze``): the pager takes the acknowledged
    incident back to triggered and its escalation starts again from step 1.
    """

    SNOOZE_END = "snooze_end"


OPEN_STATES = frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED})

_TABLE: dict[Status, dict[Action, Status]] = {
    Status.TRIGGERED: {
        Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
        Action.MITIGATE: Status.MITIGATED,
        Action.RESOLVE: Status.RESOLVED,
    },
    Status.ACKNOWLEDGED: {
        Action.MITIGATE: Status.MITIGATED,
        Action.RESOLVE: Status.RESOLVED,
    },
    Status.MITIGATED: {
        Action.RESOLVE: Status.RESOLVED,
        Action.REOPEN: Status.TRIGGERED,
    },
    Status.RESOLVED: {
        Action.REOPEN: Status.TRIGGERED,
        Action.CLOSE: Status.CLOSED,
    },
    Status.CLOSED: {},
}


_SYSTEM_TABLE: dict[Status, dict[SystemAction, Status]] = {
    Status.ACKNOWLEDGED: {SystemAction.SNOOZE_END: Status.TRIGGERED},
}


def allowed_actions(status: Status) -> list[Action]:
    return list(_TABLE[status])


def transition(status: Status, action: Action) -> Status:
    """Return the state after ``action`` or raise InvalidTransition naming what is allowed."""
    target = _TABLE[status].get(action)
    if target is None:
        allowed = ", ".join(a.value for a in _TABLE[status]) or "none (closed is final)"
        raise InvalidTransition(
            f"cannot {action.value} an incident that is {status.value}; allowed: {allowed}"
        )
    return target


def system_transition(status: Status, action: SystemAction) -> Status:
    """The state after a :class:`SystemAction`, or InvalidTransition (a snooze can only end
    on an incident that is still acknowledged)."""
    target = _SYSTEM_TABLE.get(status, {}).get(action)
    if target is None:
        raise InvalidTransition(
            f"cannot {action.value.replace('_', ' ')} an incident that is {status.value}"
        )
    return target


def is_open(status: Status) -> bool:
    return status in OPEN_STATES
