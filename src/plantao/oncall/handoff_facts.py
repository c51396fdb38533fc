"""The facts of one shift handoff, and the overall status they add up to.

Pure (no database): the gathering module fills these from the database; the renderer words
them; the row stores them as JSON (``to_dict`` / ``from_dict``) so the text of a sent handoff
never changes after it went out, even when the incidents it mentions change later.

Overall status (seed 003 §11.4's "Stable / Minor issues / Active incident"), decided here once
so the web page, the API and the message agree:

* **active incident** – an incident of the schedule's services is still open, unmitigated and
  of severity sev1–sev3: the incoming person inherits something burning;
* **minor issues** – nothing burning, but something still needs watching: an open incident
  that is mitigated (or only sev4), or a firing alert that does not page;
* **stable** – none of that (incidents that were resolved during the shift do not count: they
  are history, listed but finished).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = [
    "ACTIVE_INCIDENT",
    "MINOR_ISSUES",
    "STABLE",
    "ActionLine",
    "AlertLine",
    "ChangeLine",
    "HandoffFacts",
    "IncidentLine",
    "WindowLine",
    "overall_status",
]

STABLE = "stable"
MINOR_ISSUES = "minor_issues"
ACTIVE_INCIDENT = "active_incident"
_BURNING = frozenset({"sev1", "sev2", "sev3"})
_OPEN = frozenset({"triggered", "acknowledged", "mitigated"})


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class IncidentLine:
    """An incident of the schedule's services: in the shift, or still open at its end.

    ``resolution`` is how it ended (the last status update's words, or the resolving timeline
    entry's); empty while it is open.
    """

    ref: str
    title: str
    severity: str
    status: str
    service: str
    started_at: datetime
    resolved_at: datetime | None = None
    resolution: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["started_at"] = _iso(self.started_at)
        body["resolved_at"] = _iso(self.resolved_at)
        return body

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IncidentLine:
        started = _when(data["started_at"])
        assert started is not None
        return cls(
            ref=data["ref"],
            title=data["title"],
            severity=data["severity"],
            status=data["status"],
            service=data["service"],
            started_at=started,
            resolved_at=_when(data.get("resolved_at")),
            resolution=data.get("resolution", ""),
        )


@dataclass(frozen=True)
class AlertLine:
    """A firing alert that does not page: sev4, or its incident paged nobody."""

    summary: str
    severity: str
    service: str
    since: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "since": _iso(self.since)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertLine:
        since = _when(data["since"])
        assert since is not None
        return cls(data["summary"], data["severity"], data["service"], since)


@dataclass(frozen=True)
class WindowLine:
    """A maintenance window (an on-call silence) overlapping the next 24 hours."""

    name: str
    starts_at: datetime | None
    ends_at: datetime | None
    services: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
            "services": list(self.services),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WindowLine:
        return cls(
            data["name"],
            _when(data.get("starts_at")),
            _when(data.get("ends_at")),
            tuple(data.get("services") or ()),
        )


@dataclass(frozen=True)
class ChangeLine:
    """A change event recorded for a schedule service, planned in the next 24 hours."""

    summary: str
    service: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangeLine:
        at = _when(data["at"])
        assert at is not None
        return cls(data["summary"], data["service"], at)


@dataclass(frozen=True)
class ActionLine:
    """A corrective action of a schedule service, not done, due within the next days."""

    ref: str
    title: str
    due: date
    owner: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "due": self.due.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionLine:
        return cls(data["ref"], data["title"], date.fromisoformat(data["due"]), data.get("owner"))


@dataclass(frozen=True)
class HandoffFacts:
    """Everything a handoff says except the outgoing person's notes (edited separately)."""

    schedule: str
    schedule_name: str
    time_zone: str
    shift_start: datetime
    handoff_at: datetime
    outgoing: tuple[str, ...]
    incoming: tuple[str, ...]
    gathered_at: datetime
    incidents: tuple[IncidentLine, ...] = ()
    open_problems: tuple[IncidentLine, ...] = ()
    alerts: tuple[AlertLine, ...] = ()
    windows: tuple[WindowLine, ...] = ()
    changes: tuple[ChangeLine, ...] = ()
    actions: tuple[ActionLine, ...] = ()
    services: tuple[str, ...] = field(default=())

    @property
    def status(self) -> str:
        return overall_status(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "schedule": self.schedule,
            "schedule_name": self.schedule_name,
            "time_zone": self.time_zone,
            "shift_start": _iso(self.shift_start),
            "handoff_at": _iso(self.handoff_at),
            "outgoing": list(self.outgoing),
            "incoming": list(self.incoming),
            "gathered_at": _iso(self.gathered_at),
            "incidents": [i.to_dict() for i in self.incidents],
            "open_problems": [i.to_dict() for i in self.open_problems],
            "alerts": [a.to_dict() for a in self.alerts],
            "windows": [w.to_dict() for w in self.windows],
            "changes": [c.to_dict() for c in self.changes],
            "actions": [a.to_dict() for a in self.actions],
            "services": list(self.services),
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HandoffFacts:
        def when(key: str) -> datetime:
            value = _when(data[key])
            assert value is not None
            return value

        return cls(
            schedule=data["schedule"],
            schedule_name=data["schedule_name"],
            time_zone=data["time_zone"],
            shift_start=when("shift_start"),
            handoff_at=when("handoff_at"),
            outgoing=tuple(data["outgoing"]),
            incoming=tuple(data["incoming"]),
            gathered_at=when("gathered_at"),
            incidents=tuple(IncidentLine.from_dict(i) for i in data.get("incidents", [])),
            open_problems=tuple(IncidentLine.from_dict(i) for i in data.get("open_problems", [])),
            alerts=tuple(AlertLine.from_dict(a) for a in data.get("alerts", [])),
            windows=tuple(WindowLine.from_dict(w) for w in data.get("windows", [])),
            changes=tuple(ChangeLine.from_dict(c) for c in data.get("changes", [])),
            actions=tuple(ActionLine.from_dict(a) for a in data.get("actions", [])),
            services=tuple(data.get("services", [])),
        )


def overall_status(facts: HandoffFacts) -> str:
    """Stable, minor issues or active incident (see the module docstring for the rule)."""
    if any(p.status != "mitigated" and p.severity in _BURNING for p in facts.open_problems):
        return ACTIVE_INCIDENT
    if facts.open_problems or facts.alerts:
        return MINOR_ISSUES
    return STABLE
