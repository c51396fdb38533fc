"""Escalating an acknowledged incident that is not resolved: the level maths, pure.

Seed 003 §9.2 runs escalation by levels: the on-call engineer (level 1) → "escalate after
30 min without resolution" → tech lead (level 2) → "if critical impact or > 1 h" → engineering
manager (level 3); §9.1 escalates at once on a suspected security breach or data loss. The
normal escalation stops at the acknowledgement (someone owns the incident); these levels go on
while it stays acknowledged and neither mitigated, resolved nor closed.

A policy declares them as :class:`UnresolvedLevel` values: "``after`` since the incident
triggered, page the targets of step ``step``". Levels are the policy's own steps (level 2 is
step 2), so one list of people serves both kinds of escalation. ``after`` counts from the
trigger (or the reopen), not from the acknowledgement: seed 003 says "30 min without
resolution", and an acknowledgement after 25 minutes should not buy another half hour.

Why opt-in (a policy without ``unresolved`` escalates nothing after the ack): paging a tech
lead or a manager is a decision of the team that owns the policy, and an installation that
upgrades must not start paging its managers unannounced. :data:`SEED_LEVELS` are seed 003's
numbers, which ``unresolved: true`` in ``plantao.yaml`` selects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "RISK_CATEGORIES",
    "RISK_POSTURE",
    "SEED_LEVELS",
    "UnresolvedLevel",
    "check_levels",
    "describe_after",
    "due_at",
    "due_now",
    "risk_reason",
    "seed_levels",
]

#: Incident categories (``incidents.models.INCIDENT_CATEGORIES``) that escalate at once.
RISK_CATEGORIES = frozenset({"security", "data_leak"})
#: The triage risk level (``runbooks.posture``) that escalates at once.
RISK_POSTURE = "high"


@dataclass(frozen=True)
class UnresolvedLevel:
    """Page step ``step`` (1-based, as levels are counted) once ``after`` has passed since the
    incident triggered and it is still only acknowledged."""

    after: timedelta
    step: int

    def to_dict(self) -> dict[str, Any]:
        seconds = self.after.total_seconds()
        return {
            "after_seconds": int(seconds) if seconds.is_integer() else seconds,
            "step": self.step,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnresolvedLevel:
        return cls(timedelta(seconds=data["after_seconds"]), int(data["step"]))


#: Seed 003 §9.2: level 2 after 30 minutes without resolution, level 3 after an hour.
SEED_LEVELS = (
    UnresolvedLevel(timedelta(minutes=30), 2),
    UnresolvedLevel(timedelta(hours=1), 3),
)


def seed_levels(step_count: int) -> tuple[UnresolvedLevel, ...]:
    """Seed 003's levels that a policy of ``step_count`` steps has (none for one step)."""
    return tuple(level for level in SEED_LEVELS if level.step <= step_count)


def check_levels(levels: Sequence[UnresolvedLevel], step_count: int) -> str | None:
    """What is wrong with ``levels`` for a policy of ``step_count`` steps, as ``index.field:
    message`` (None when nothing is). Levels climb: later and higher than the one before."""
    for index, level in enumerate(levels):
        if level.after <= timedelta(0):
            return f"[{index}].after: must be longer than zero"
        if not 2 <= level.step <= step_count:
            if step_count < 2:
                return (
                    f"[{index}].step: the policy has one step; escalating an unresolved "
                    "incident needs a step 2 to escalate to"
                )
            return (
                f"[{index}].step: the policy has steps 1 to {step_count}; "
                f"use 2 to {step_count} (level 1 is step 1, paged already), not {level.step}"
            )
        if index and level.after <= levels[index - 1].after:
            return f"[{index}].after: must be later than the level before it"
        if index and level.step <= levels[index - 1].step:
            return f"[{index}].step: must be higher than the level before it"
    return None


def due_at(levels: Sequence[UnresolvedLevel], since: datetime, index: int) -> datetime | None:
    """When level ``index`` is due, counted from ``since`` (None past the last level)."""
    if not 0 <= index < len(levels):
        return None
    return since + levels[index].after


def due_now(
    levels: Sequence[UnresolvedLevel], since: datetime, index: int, now: datetime
) -> list[int]:
    """The levels from ``index`` on that are due at ``now``, in order (a timer that ran late, or
    an acknowledgement after the hour, fires them together)."""
    out: list[int] = []
    for i in range(max(index, 0), len(levels)):
        when = due_at(levels, since, i)
        if when is None or when > now:
            break
        out.append(i)
    return out


def describe_after(after: timedelta) -> str:
    """``30 min``, ``1 h``, ``1 h 30 min``, ``2 d``: how timeline entries say how long."""
    minutes = int(after.total_seconds() // 60)
    if minutes < 1:
        return f"{int(after.total_seconds())} s"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    return " ".join(parts)


def risk_reason(category: str | None, posture: str | None) -> str | None:
    """Why an incident escalates at once (seed 003 §9.1: security breach, data loss), or None:
    its category is ``security``/``data_leak`` or its triage risk posture is high."""
    if category in RISK_CATEGORIES:
        return f"category {category}"
    if posture == RISK_POSTURE:
        return "risk posture high"
    return None
