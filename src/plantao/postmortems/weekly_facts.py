"""What a weekly operational review says (seed 002 action tracking: "Revisão semanal em
operational review"), as plain values: read from the database by ``weekly_gather``, shown by
the API, the web page and ``weekly_render``'s Markdown. Pure.

Counts of the week sit beside the previous week's (:class:`Figure`), so every reader can show
the trend; "overdue" and "must-fix still open" are what stands *now*, with no previous figure.
Titles of private incidents are ``None`` for people who may not see them (:func:`redacted`):
they are counted, never named.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Figure:
    """A count this week and the week before."""

    current: int
    previous: int

    @property
    def trend(self) -> str:
        """``up``, ``down`` or ``same``."""
        if self.current > self.previous:
            return "up"
        return "down" if self.current < self.previous else "same"

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "same": "→"}[self.trend]


@dataclass(frozen=True)
class SeverityRow:
    """Incidents of one severity opened in the week; medians in seconds against the matrix's
    targets (None: nothing to measure, or no target for that severity)."""

    severity: str
    opened: Figure
    still_open: int
    mtta_median: int | None
    mttr_median: int | None
    mtta_target: int | None
    mttr_target: int | None

    @property
    def mtta_met(self) -> bool | None:
        return _met(self.mtta_median, self.mtta_target)

    @property
    def mttr_met(self) -> bool | None:
        return _met(self.mttr_median, self.mttr_target)


def _met(value: int | None, target: int | None) -> bool | None:
    return None if value is None or target is None else value <= target


@dataclass(frozen=True)
class IncidentLine:
    incident_id: int
    ref: str
    title: str | None
    severity: str
    status: str
    private: bool
    service: str
    triggered_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class PostmortemLine:
    incident_id: int
    ref: str
    title: str | None
    severity: str
    private: bool
    status: str
    due_at: datetime | None
    published_at: datetime | None
    owner: str | None


@dataclass(frozen=True)
class ActionLine:
    incident_id: int
    ref: str
    incident_ref: str
    title: str | None
    private: bool
    severity: str
    status: str
    must_fix: bool
    due_date: date
    done_at: datetime | None
    owner: str | None


@dataclass(frozen=True)
class GateBlockRow:
    """Releases the gate refused for one service in the week, and the actions it named."""

    service: str
    service_name: str
    blocks: int
    actions: tuple[str, ...]
    incidents: tuple[str, ...]


@dataclass(frozen=True)
class WeeklyFacts:
    week: str
    previous_week: str
    next_week: str
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    team: str | None
    team_name: str | None
    generated_at: datetime
    complete: bool
    incidents: Figure
    severities: tuple[SeverityRow, ...]
    major_incidents: tuple[IncidentLine, ...]
    postmortems_due: tuple[PostmortemLine, ...]
    postmortems_due_count: Figure
    postmortems_overdue: tuple[PostmortemLine, ...]
    postmortems_published: tuple[PostmortemLine, ...]
    postmortems_published_count: Figure
    actions_due: tuple[ActionLine, ...]
    actions_due_count: Figure
    actions_overdue: tuple[ActionLine, ...]
    actions_done: tuple[ActionLine, ...]
    actions_done_count: Figure
    must_fix_open: tuple[ActionLine, ...]
    gate_blocks: tuple[GateBlockRow, ...]
    gate_blocks_count: Figure

    def private_incident_ids(self) -> frozenset[int]:
        lines: list[IncidentLine | PostmortemLine | ActionLine] = [
            *self.major_incidents,
            *self.postmortems_due,
            *self.postmortems_overdue,
            *self.postmortems_published,
            *self.actions_due,
            *self.actions_overdue,
            *self.actions_done,
            *self.must_fix_open,
        ]
        return frozenset(line.incident_id for line in lines if line.private)


_LISTS = (
    "major_incidents",
    "postmortems_due",
    "postmortems_overdue",
    "postmortems_published",
    "actions_due",
    "actions_overdue",
    "actions_done",
    "must_fix_open",
)


def redacted(facts: WeeklyFacts, visible: frozenset[int]) -> WeeklyFacts:
    """The facts with the titles of private incidents not in ``visible`` (and their actions')
    taken out; everything is still counted."""

    def hide(line: Any) -> Any:
        if line.private and line.incident_id not in visible:
            return dataclasses.replace(line, title=None)
        return line

    changes: dict[str, Any] = {
        name: tuple(hide(line) for line in getattr(facts, name)) for name in _LISTS
    }
    return dataclasses.replace(facts, **changes)


def _plain(value: Any) -> Any:
    if isinstance(value, Figure):
        return {"current": value.current, "previous": value.previous, "trend": value.trend}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, SeverityRow):
            out |= {"mtta_met": value.mtta_met, "mttr_met": value.mttr_met}
        return out
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def as_json(facts: WeeklyFacts) -> dict[str, Any]:
    """The facts as JSON values (times in ISO 8601 UTC, durations in seconds)."""
    plain: dict[str, Any] = _plain(facts)
    return plain
