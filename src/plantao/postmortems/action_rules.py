"""The rules of a corrective action's life, on plain values so the API, web UI, CLI, reminders
and the release gate agree on them. Pure.

Statuses (seed 002 action tracking): ``open`` → ``in_progress`` → ``done``; any open one may
become ``wont_do`` with a reason (the decision is recorded, not lost); a ``done`` or
``wont_do`` action may be reopened. An action is overdue while it is still open and its due
day has passed in UTC.
"""

from __future__ import annotations

from datetime import date, timedelta

from plantao.errors import InvalidTransition, ValidationFailed

OPEN = ("open", "in_progress")
_ALLOWED: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "done", "wont_do"}),
    "in_progress": frozenset({"open", "done", "wont_do"}),
    "done": frozenset({"open"}),
    "wont_do": frozenset({"open"}),
}
#: When a new action falls due unless someone says: fixes soon, structural work later.
DEFAULT_DUE_DAYS = {"quick_fix": 7, "hardening": 30, "prevention": 30, "follow_up": 14}


def check_transition(current: str, wanted: str, reason: str | None) -> None:
    """Raise unless ``current`` → ``wanted`` is allowed; ``wont_do`` needs a reason. Staying
    in the same status is allowed (a retried request changes nothing)."""
    if wanted == "wont_do" and not (reason or "").strip():
        raise ValidationFailed(
            "reason: say why the action will not be done",
            errors=[{"field": "reason", "message": "required when the status is wont_do"}],
        )
    if wanted == current:
        return
    if wanted not in _ALLOWED.get(current, frozenset()):
        hint = "reopen it first (status open)" if current in ("done", "wont_do") else ""
        raise InvalidTransition(
            f"an action cannot go from {current} to {wanted}" + (f"; {hint}" if hint else "")
        )


def is_overdue(status: str, due: date, today: date) -> bool:
    return status in OPEN and due < today


def default_due(kind: str, today: date) -> date:
    return today + timedelta(days=DEFAULT_DUE_DAYS.get(kind, 14))
