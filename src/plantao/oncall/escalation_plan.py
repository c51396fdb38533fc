"""Escalation step maths on a policy snapshot, plus severity-aware urgency.

Pure module. The policy is snapshotted onto the incident when it triggers (stored as JSON via
:meth:`PolicySnapshot.to_dict`), so editing a policy never changes an escalation in flight.

Timing model: ``Step.delay`` is "wait this long after the previous step fired without an ack".
The first step's delay counts from the trigger (usually 0: seed 002 pages the primary at once,
the secondary after 5 min; seed 003 §9 goes on-call → 30 min → tech lead → 1 h → manager).

After the last step of a pass the policy waits ``cycle_delay`` and starts the next pass (there
are ``1 + repeat`` passes); after the last pass comes the optional ``fallback`` pseudo-step, and
then the escalation is exhausted. ``cycle_delay`` exists because step 0's delay (usually 0) would
otherwise re-page the first target the instant the last step fired. It defaults to the last
step's delay, or to 5 minutes (seed 002's ACK window) when that is zero.

A step whose targets resolve to nobody is recorded by the caller, who then runs the next step
at once (``advance(..., reached_nobody=True)`` makes it due at the fire time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo

from plantao.oncall.rotation import WEEKDAYS, resolve_local
from plantao.oncall.unresolved_plan import UnresolvedLevel, check_levels

__all__ = [
    "DEFAULT_CYCLE_DELAY",
    "Cursor",
    "CursorKind",
    "PolicySnapshot",
    "Resolution",
    "Scheduled",
    "Step",
    "Target",
    "Urgency",
    "WorkingHours",
    "advance",
    "first",
    "next_working_time",
    "resolve_targets",
    "targets_at",
    "urgency_for",
]

DEFAULT_CYCLE_DELAY = timedelta(minutes=5)

TargetKind = Literal["user", "schedule"]


@dataclass(frozen=True)
class Target:
    """Someone to page: a user id, or a schedule whose on-call people are paged."""

    kind: TargetKind
    ref: str

    def __post_init__(self) -> None:
        if self.kind not in ("user", "schedule"):
            raise ValueError(f"unknown target kind {self.kind!r}")
        if not self.ref:
            raise ValueError("a target needs a reference")

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        kind = data["kind"]
        if kind not in ("user", "schedule"):
            raise ValueError(f"unknown target kind {kind!r}")
        return cls(kind=kind, ref=str(data["ref"]))


@dataclass(frozen=True)
class Step:
    """Page ``targets`` once ``delay`` has passed since the previous step fired."""

    delay: timedelta
    targets: tuple[Target, ...]

    def __post_init__(self) -> None:
        if self.delay < timedelta(0):
            raise ValueError("a step delay cannot be negative")
        if not self.targets:
            raise ValueError("a step needs at least one target")


def _seconds(delta: timedelta) -> int | float:
    seconds = delta.total_seconds()
    return int(seconds) if seconds.is_integer() else seconds


@dataclass(frozen=True)
class PolicySnapshot:
    """The escalation policy as it was when the incident triggered."""

    steps: tuple[Step, ...]
    repeat: int = 0
    fallback: tuple[Target, ...] | None = None
    cycle_delay: timedelta | None = None
    #: Escalation while acknowledged but unresolved (``oncall.unresolved_plan``); () = none.
    unresolved: tuple[UnresolvedLevel, ...] = ()

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a policy needs at least one step")
        if self.repeat < 0:
            raise ValueError("repeat cannot be negative")
        if self.fallback is not None and not self.fallback:
            raise ValueError("fallback must be None or name at least one target")
        if self.cycle_delay is not None and self.cycle_delay < timedelta(0):
            raise ValueError("cycle_delay cannot be negative")
        problem = check_levels(self.unresolved, len(self.steps))
        if problem is not None:
            raise ValueError(f"unresolved{problem}")

    @property
    def effective_cycle_delay(self) -> timedelta:
        if self.cycle_delay is not None:
            return self.cycle_delay
        last = self.steps[-1].delay
        return last if last > timedelta(0) else DEFAULT_CYCLE_DELAY

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; delays are seconds so the JSON stays language-neutral. The
        ``unresolved`` key is written only when there are levels, so the stored body of a
        policy without them is what it was before they existed (re-applying keeps it)."""
        body: dict[str, Any] = {
            "version": 1,
            "steps": [
                {
                    "delay_seconds": _seconds(step.delay),
                    "targets": [t.to_dict() for t in step.targets],
                }
                for step in self.steps
            ],
            "repeat": self.repeat,
            "fallback": None if self.fallback is None else [t.to_dict() for t in self.fallback],
            "cycle_delay_seconds": (
                None if self.cycle_delay is None else _seconds(self.cycle_delay)
            ),
        }
        if self.unresolved:
            body["unresolved"] = [level.to_dict() for level in self.unresolved]
        return body

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicySnapshot:
        version = data.get("version", 1)
        if version != 1:
            raise ValueError(f"unsupported policy snapshot version {version!r}")
        steps = tuple(
            Step(
                delay=timedelta(seconds=step["delay_seconds"]),
                targets=tuple(Target.from_dict(t) for t in step["targets"]),
            )
            for step in data["steps"]
        )
        fallback = data.get("fallback")
        cycle = data.get("cycle_delay_seconds")
        return cls(
            steps=steps,
            repeat=int(data.get("repeat", 0)),
            fallback=None if fallback is None else tuple(Target.from_dict(t) for t in fallback),
            cycle_delay=None if cycle is None else timedelta(seconds=cycle),
            unresolved=tuple(UnresolvedLevel.from_dict(u) for u in data.get("unresolved") or ()),
        )


class CursorKind(StrEnum):
    STEP = "step"
    FALLBACK = "fallback"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class Cursor:
    """Where an escalation stands: pass ``repeat`` (0-based), step ``step`` of that pass."""

    repeat: int = 0
    step: int = 0
    kind: CursorKind = CursorKind.STEP

    def to_dict(self) -> dict[str, Any]:
        return {"repeat": self.repeat, "step": self.step, "kind": str(self.kind)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cursor:
        return cls(int(data["repeat"]), int(data["step"]), CursorKind(data["kind"]))


@dataclass(frozen=True)
class Scheduled:
    """The next position and when it is due (None once exhausted)."""

    cursor: Cursor
    due_at: datetime | None


def first(snapshot: PolicySnapshot, triggered_at: datetime) -> Scheduled:
    """The first step, due ``steps[0].delay`` after the trigger."""
    return Scheduled(Cursor(), triggered_at + snapshot.steps[0].delay)


def advance(
    snapshot: PolicySnapshot,
    cursor: Cursor,
    fired_at: datetime,
    *,
    reached_nobody: bool = False,
) -> Scheduled:
    """What follows ``cursor`` once it fired at ``fired_at`` without an ack."""
    if cursor.kind is CursorKind.EXHAUSTED:
        return Scheduled(cursor, None)
    if cursor.kind is CursorKind.FALLBACK:
        return Scheduled(Cursor(cursor.repeat, cursor.step, CursorKind.EXHAUSTED), None)
    if not 0 <= cursor.step < len(snapshot.steps) or not 0 <= cursor.repeat <= snapshot.repeat:
        raise ValueError(f"cursor {cursor} is outside the policy")
    if cursor.step + 1 < len(snapshot.steps):
        following = Cursor(cursor.repeat, cursor.step + 1)
        delay = snapshot.steps[cursor.step + 1].delay
    elif cursor.repeat < snapshot.repeat:
        following = Cursor(cursor.repeat + 1, 0)
        delay = snapshot.effective_cycle_delay
    elif snapshot.fallback is not None:
        following = Cursor(cursor.repeat, cursor.step, CursorKind.FALLBACK)
        delay = snapshot.effective_cycle_delay
    else:
        return Scheduled(Cursor(cursor.repeat, cursor.step, CursorKind.EXHAUSTED), None)
    return Scheduled(following, fired_at if reached_nobody else fired_at + delay)


def targets_at(snapshot: PolicySnapshot, cursor: Cursor) -> tuple[Target, ...]:
    """Whom the position ``cursor`` pages (nobody once exhausted)."""
    if cursor.kind is CursorKind.EXHAUSTED:
        return ()
    if cursor.kind is CursorKind.FALLBACK:
        return snapshot.fallback or ()
    return snapshot.steps[cursor.step].targets


@dataclass(frozen=True)
class Resolution:
    """Users to page, in target order without repeats, and schedules that had nobody."""

    users: tuple[str, ...]
    empty_schedules: tuple[str, ...]

    @property
    def reached_nobody(self) -> bool:
        return not self.users


def resolve_targets(
    step: Step | Sequence[Target],
    who_is_on_call: Callable[[str, datetime], Sequence[str]],
    at: datetime,
) -> Resolution:
    """Expand schedule targets through ``who_is_on_call(schedule_ref, at)``."""
    targets = step.targets if isinstance(step, Step) else tuple(step)
    users: list[str] = []
    empty: list[str] = []
    for target in targets:
        found = [target.ref] if target.kind == "user" else list(who_is_on_call(target.ref, at))
        if target.kind == "schedule" and not found:
            empty.append(target.ref)
        users.extend(user for user in found if user not in users)
    return Resolution(tuple(users), tuple(empty))


class Urgency(StrEnum):
    HIGH = "high"
    LOW = "low"


def _severity_level(severity: int | str) -> int:
    text = str(severity).strip().lower().removeprefix("sev").strip()
    if not text.isdigit() or not 1 <= int(text) <= 4:
        raise ValueError(f"unknown severity {severity!r} (expected 1-4 or 'sev1'-'sev4')")
    return int(text)


def urgency_for(severity: int | str) -> Urgency:
    """Sev1/Sev2 page at once at any hour; Sev3/Sev4 wait for working hours (seed 002 SLAs)."""
    return Urgency.HIGH if _severity_level(severity) <= 2 else Urgency.LOW


@dataclass(frozen=True)
class WorkingHours:
    """When low-urgency pages may go out: ``weekdays`` from ``start`` to ``end`` local time."""

    tz: str = "America/Sao_Paulo"
    start: time = time(9, 0)
    end: time = time(18, 0)
    weekdays: frozenset[int] = WEEKDAYS

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("working hours must end after they start on the same day")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError("weekdays must be a non-empty subset of 0..6 (Monday = 0)")
        ZoneInfo(self.tz)

    def span_on(self, day: date) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.weekdays:
            return None
        zone = ZoneInfo(self.tz)
        return resolve_local(day, self.start, zone), resolve_local(day, self.end, zone)


def next_working_time(at: datetime, working_hours: WorkingHours) -> datetime:
    """``at`` itself when inside working hours, else the next time they open (UTC)."""
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    at = at.astimezone(UTC)
    day = at.astimezone(ZoneInfo(working_hours.tz)).date()
    for offset in range(8):
        span = working_hours.span_on(day + timedelta(days=offset))
        if span is None:
            continue
        opens, closes = span
        if opens <= at < closes:
            return at
        if at < opens:
            return opens
    raise AssertionError("unreachable: some weekday is always within eight days")
