"""The on-call sections of ``plantao.yaml``: schedules, escalation policies, contact methods,
working hours, maintenance windows and heartbeat monitors.

Validated here once (rule 5); ``to_*`` methods give the stored JSON shapes that the on-call
service and the pure modules read back.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from plantao.configfile.durations import parse_duration
from plantao.configfile.located import LocatedError, matchers_at_index
from plantao.oncall.escalation_plan import PolicySnapshot, Step, Target
from plantao.oncall.layers import WEEKDAY_NAMES, parse_hhmm
from plantao.oncall.unresolved_plan import UnresolvedLevel, check_levels, seed_levels

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _seconds(value: str | int) -> int:
    return int(parse_duration(value).total_seconds())


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{value}'") from None
    return value


def _hhmm(value: str) -> str:
    parsed = parse_hhmm(value)
    return f"{parsed:%H:%M}"


def _weekdays(values: list[Weekday]) -> list[int]:
    return sorted({WEEKDAY_NAMES.index(v) for v in values})


def _workdays() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RotationSpec(_Strict):
    type: Literal["hourly", "daily", "weekly", "custom"]
    every: int = Field(default=1, ge=1, le=1000)
    length: str | int | None = None
    handoff: str = "09:00"
    start: date
    participants: list[str] = Field(min_length=1)

    _handoff = field_validator("handoff")(_hhmm)

    @model_validator(mode="after")
    def _custom(self) -> RotationSpec:
        if self.type == "custom":
            if self.length is None:
                raise ValueError("length: a custom rotation needs a length such as 8h")
            if parse_duration(self.length) <= timedelta(0):
                raise ValueError("length: must be longer than zero")
        elif self.length is not None:
            raise ValueError("length: only custom rotations take a length (use every)")
        return self

    def stored(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "handoff": self.handoff,
            "start": self.start.isoformat(),
            "participants": list(self.participants),
        }
        if self.type == "custom":
            assert self.length is not None
            body["length_seconds"] = _seconds(self.length)
        else:
            body["every"] = self.every
        return body


class RestrictionSpec(_Strict):
    weekdays: list[Weekday] = Field(min_length=1)
    start: str
    end: str

    _times = field_validator("start", "end")(_hhmm)

    def stored(self) -> dict[str, Any]:
        return {"weekdays": _weekdays(self.weekdays), "start": self.start, "end": self.end}


class LayerSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    rotation: RotationSpec
    restrictions: list[RestrictionSpec] = Field(default_factory=list)

    def stored(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rotation": self.rotation.stored(),
            "restrictions": [r.stored() for r in self.restrictions],
        }


class ScheduleSpec(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"
    layers: list[LayerSpec] = Field(min_length=1)

    _tz = field_validator("time_zone")(_zone)

    @field_validator("layers")
    @classmethod
    def _unique(cls, layers: list[LayerSpec]) -> list[LayerSpec]:
        seen: set[str] = set()
        for layer in layers:
            if layer.name in seen:
                raise ValueError(f"duplicate layer name '{layer.name}'")
            seen.add(layer.name)
        return layers


class TargetSpec(_Strict):
    user: str | None = None
    schedule: str | None = None

    @model_validator(mode="after")
    def _one(self) -> TargetSpec:
        if (self.user is None) == (self.schedule is None):
            raise ValueError("a target is either {user: handle} or {schedule: slug}")
        return self

    def target(self) -> Target:
        if self.user is not None:
            return Target("user", self.user)
        assert self.schedule is not None
        return Target("schedule", self.schedule)


class StepSpec(_Strict):
    delay: str | int = "0m"
    targets: list[TargetSpec] = Field(min_length=1)

    @field_validator("delay")
    @classmethod
    def _delay(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


class UnresolvedSpec(_Strict):
    """``{after: 30m, step: 2}``: still acknowledged ``after`` the trigger → page step 2."""

    after: str | int
    step: int

    @field_validator("after")
    @classmethod
    def _after(cls, value: str | int) -> str | int:
        if parse_duration(value) <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    def level(self) -> UnresolvedLevel:
        return UnresolvedLevel(parse_duration(self.after), self.step)


class PolicySpec(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    repeat: int = Field(default=0, ge=0, le=20)
    cycle_delay: str | int | None = None
    steps: list[StepSpec] = Field(min_length=1, max_length=50)
    fallback: list[TargetSpec] | None = Field(default=None, min_length=1)
    #: Escalation while acknowledged but unresolved: a list of levels, ``true`` for seed 003's
    #: (step 2 after 30m, step 3 after 1h, those the policy has), omitted/false/[] for none.
    unresolved: list[UnresolvedSpec] = Field(default_factory=list, max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _seed_levels(cls, data: Any) -> Any:
        """``unresolved: true`` means seed 003's levels the policy has; ``false`` none."""
        if not isinstance(data, dict) or not isinstance(data.get("unresolved"), bool):
            return data
        steps = data.get("steps")
        count = len(steps) if isinstance(steps, list) else 0
        if data["unresolved"] and count < 2:
            raise LocatedError(
                ".unresolved",
                "true needs a policy with a step 2 to escalate to (this one has one step)",
            )
        levels = seed_levels(count) if data["unresolved"] else ()
        return data | {
            "unresolved": [
                {"after": int(level.after.total_seconds()), "step": level.step} for level in levels
            ]
        }

    @model_validator(mode="after")
    def _unresolved(self) -> PolicySpec:
        problem = check_levels(self.unresolved_levels(), len(self.steps))
        if problem is not None:
            where, _, message = problem.partition(": ")
            raise LocatedError(f".unresolved{where}", message)
        return self

    def unresolved_levels(self) -> tuple[UnresolvedLevel, ...]:
        return tuple(u.level() for u in self.unresolved)

    def snapshot(self) -> PolicySnapshot:
        return PolicySnapshot(
            steps=tuple(
                Step(parse_duration(s.delay), tuple(t.target() for t in s.targets))
                for s in self.steps
            ),
            repeat=self.repeat,
            fallback=None if self.fallback is None else tuple(t.target() for t in self.fallback),
            cycle_delay=None if self.cycle_delay is None else parse_duration(self.cycle_delay),
            unresolved=self.unresolved_levels(),
        )


class ContactMethodItem(_Strict):
    name: str = Field(min_length=1, max_length=64)
    type: Literal["email", "webhook", "slack", "mattermost", "teams", "sms", "voice"]
    address: str = Field(min_length=1, max_length=2048)
    secret: str | None = Field(default=None, min_length=16, max_length=256)

    @model_validator(mode="after")
    def _address(self) -> ContactMethodItem:
        if self.type == "email" and ("@" not in self.address or " " in self.address):
            raise ValueError(f"address: '{self.address}' is not an e-mail address")
        web = ("webhook", "slack", "mattermost", "teams")
        if self.type in web and not self.address.startswith(("https://", "http://")):
            raise ValueError("address: must be an http(s) URL")
        if self.type == "webhook" and not self.secret:
            raise ValueError("secret: a generic webhook needs a signing secret (16+ characters)")
        return self


class NotificationRuleItem(_Strict):
    contact: str
    after: str | int = "0m"
    urgency: Literal["high", "low", "any"] = "any"

    @field_validator("after")
    @classmethod
    def _after(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


class ThrottleItem(_Strict):
    limit: int = Field(default=5, ge=1, le=1000)
    window: str | int = "15m"

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | int) -> str | int:
        if parse_duration(value) <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value


class WorkingHoursSpec(_Strict):
    time_zone: str = "America/Sao_Paulo"
    start: str = "09:00"
    end: str = "18:00"
    weekdays: list[Weekday] = Field(default_factory=_workdays, min_length=1)

    _tz = field_validator("time_zone")(_zone)
    _times = field_validator("start", "end")(_hhmm)

    @model_validator(mode="after")
    def _order(self) -> WorkingHoursSpec:
        if self.end <= self.start:
            raise ValueError("end: working hours must end after they start")
        return self

    def stored(self) -> dict[str, Any]:
        return {
            "time_zone": self.time_zone,
            "start": self.start,
            "end": self.end,
            "weekdays": _weekdays(self.weekdays),
        }


class RecurrenceSpec(_Strict):
    every: str | int = "1d"
    start: str
    duration: str | int
    time_zone: str = "UTC"
    weekdays: list[Weekday] | None = None

    _tz = field_validator("time_zone")(_zone)
    _start = field_validator("start")(_hhmm)

    @model_validator(mode="after")
    def _period(self) -> RecurrenceSpec:
        every = parse_duration(self.every)
        if every < timedelta(days=1) or every % timedelta(days=1):
            raise ValueError("every: must be a whole number of days, e.g. 1d or 7d")
        length = parse_duration(self.duration)
        if not timedelta(0) < length <= every:
            raise ValueError("duration: must be longer than zero and at most the period")
        return self

    def stored(self) -> dict[str, Any]:
        return {
            "every_days": parse_duration(self.every).days,
            "start": self.start,
            "duration_seconds": _seconds(self.duration),
            "time_zone": self.time_zone,
            "weekdays": None if self.weekdays is None else _weekdays(self.weekdays),
        }


class WindowNoticeSpec(_Strict):
    """Showing a maintenance window on a status page (opt-in): its public words."""

    page: str = Field(default="public", pattern=SLUG)
    title: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=20000)
    components: list[str] = Field(default_factory=list)

    @field_validator("components")
    @classmethod
    def _slugs(cls, values: list[str]) -> list[str]:
        for index, value in enumerate(values):
            if not re.match(SLUG, value):
                raise LocatedError(f"[{index}]", f"'{value}' is not a component slug")
        return values


class MaintenanceWindowSpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    start: datetime | None = None
    end: datetime | None = None
    recurrence: RecurrenceSpec | None = None
    services: list[str] = Field(default_factory=list)
    matchers: list[str] = Field(default_factory=list)
    status_page: WindowNoticeSpec | None = None

    _matchers = field_validator("matchers")(matchers_at_index)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-12-01T02:00:00Z")
        return None if value is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _shape(self) -> MaintenanceWindowSpec:
        if self.recurrence is not None:
            if self.start is not None or self.end is not None:
                raise ValueError("a window is either start/end or a recurrence, not both")
        elif self.start is None or self.end is None:
            raise ValueError("a one-off window needs start and end (or give a recurrence)")
        elif self.end <= self.start:
            raise ValueError("end: must be after start")
        return self

    def stored(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": self.start,
            "end": self.end,
            "recurrence": None if self.recurrence is None else self.recurrence.stored(),
            "services": list(self.services),
            "matchers": list(self.matchers),
        }


class HeartbeatSpec(_Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(min_length=1, max_length=200)
    service: str
    interval: str | int
    grace: str | int = "1m"
    key: str | None = Field(default=None, min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str | int) -> str | int:
        if parse_duration(value) < timedelta(seconds=10):
            raise ValueError("must be at least 10s")
        return value

    @field_validator("grace")
    @classmethod
    def _grace(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


def oncall_references(config: Any) -> list[str]:
    """Cross-references of the on-call sections, as ``path: message`` lines."""
    problems: list[str] = []
    users = None if config.users is None else {u.handle for u in config.users}
    services = None if config.services is None else {s.slug for s in config.services}
    schedules = {s.slug for s in config.schedules or []}
    policies = {p.slug for p in config.escalation_policies or []}
    for label, items in (
        ("schedules", config.schedules),
        ("escalation_policies", config.escalation_policies),
        ("heartbeats", config.heartbeats),
        ("maintenance_windows", config.maintenance_windows),
    ):
        seen: set[str] = set()
        for index, item in enumerate(items or []):
            key = item.name if label == "maintenance_windows" else item.slug
            field = "name" if label == "maintenance_windows" else "slug"
            if key in seen:
                problems.append(f"{label}[{index}].{field}: duplicate '{key}'")
            seen.add(key)
    for s_i, schedule in enumerate(config.schedules or []):
        for l_i, layer in enumerate(schedule.layers):
            for p_i, who in enumerate(layer.rotation.participants):
                if users is not None and who not in users:
                    problems.append(
                        f"schedules[{s_i}].layers[{l_i}].rotation.participants[{p_i}]: "
                        f"unknown user '{who}'"
                    )

    def target(path: str, spec: TargetSpec) -> None:
        if spec.user is not None and users is not None and spec.user not in users:
            problems.append(f"{path}.user: unknown user '{spec.user}'")
        if spec.schedule is not None and spec.schedule not in schedules:
            problems.append(f"{path}.schedule: unknown schedule '{spec.schedule}'")

    for p_i, policy in enumerate(config.escalation_policies or []):
        for s_i, step in enumerate(policy.steps):
            for t_i, spec in enumerate(step.targets):
                target(f"escalation_policies[{p_i}].steps[{s_i}].targets[{t_i}]", spec)
        for f_i, spec in enumerate(policy.fallback or []):
            target(f"escalation_policies[{p_i}].fallback[{f_i}]", spec)
    for index, svc in enumerate(config.services or []):
        if svc.escalation_policy and svc.escalation_policy not in policies:
            problems.append(
                f"services[{index}].escalation_policy: unknown escalation policy "
                f"'{svc.escalation_policy}'"
            )
    for index, team in enumerate(config.teams or []):
        if team.escalation_policy and team.escalation_policy not in policies:
            problems.append(
                f"teams[{index}].escalation_policy: unknown escalation policy "
                f"'{team.escalation_policy}'"
            )
    default = config.defaults.escalation_policy if config.defaults else None
    if default and default not in policies:
        problems.append(f"defaults.escalation_policy: unknown escalation policy '{default}'")
    for index, hb in enumerate(config.heartbeats or []):
        if services is not None and hb.service not in services:
            problems.append(f"heartbeats[{index}].service: unknown service '{hb.service}'")
    for index, window in enumerate(config.maintenance_windows or []):
        for s_i, slug in enumerate(window.services):
            if services is not None and slug not in services:
                problems.append(
                    f"maintenance_windows[{index}].services[{s_i}]: unknown service '{slug}'"
                )
    for index, user in enumerate(config.users or []):
        names = {m.name for m in user.contact_methods or []}
        for r_i, rule in enumerate(user.notification_rules or []):
            if rule.contact not in names:
                problems.append(
                    f"users[{index}].notification_rules[{r_i}].contact: unknown contact method "
                    f"'{rule.contact}'"
                )
    return problems
