"""Everything a generated postmortem draft shows, as plain values, and the figures derived
from them (time to detect, to acknowledge, to mitigate, to resolve against the severity's
targets).

The gatherer (``draft_gather``) reads these from the database in a few queries; the renderer
(``draft_render``) turns them into Markdown. Keeping the facts in between pure means the
figures and the wording are unit-testable without a database, and an operator's template sees
the same named values the shipped one does. Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

__all__ = [
    "ChangeFact",
    "DraftFacts",
    "EntryFact",
    "Figure",
    "RoleFact",
    "RunFact",
    "RunbookFact",
    "SeverityChange",
]

Detection = Literal["alert", "customer", "team"]


@dataclass(frozen=True, slots=True)
class EntryFact:
    """One timeline entry as it was written (``data`` is the entry's own JSON)."""

    at: datetime
    kind: str
    actor: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SeverityChange:
    at: datetime
    before: str
    after: str
    actor: str


@dataclass(frozen=True, slots=True)
class RoleFact:
    role: str
    handle: str
    name: str


@dataclass(frozen=True, slots=True)
class ChangeFact:
    """A change event recorded on the incident's service shortly before detection."""

    at: datetime
    summary: str
    source: str | None
    who: str | None
    service: str


@dataclass(frozen=True, slots=True)
class RunbookFact:
    title: str
    ref: str
    url: str | None
    source: str
    confirmed_by: str | None
    confirmed_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunFact:
    """A guarded runbook step requested on the incident (the command itself is not shown: it
    may hold parameters nobody should copy into a document)."""

    runbook_id: str
    action_id: str
    status: str
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Figure:
    """A time to reach a milestone and whether the severity's target was met (None: the
    milestone was not reached, or the severity sets no target)."""

    name: Literal["detect", "acknowledge", "mitigate", "resolve"]
    elapsed: timedelta | None
    target: timedelta | None

    @property
    def met(self) -> bool | None:
        if self.elapsed is None or self.target is None:
            return None
        return self.elapsed <= self.target


@dataclass(frozen=True, slots=True)
class DraftFacts:
    """What Plantão knows about one incident when its postmortem is drafted."""

    human_id: str
    title: str
    severity: str
    severity_title: str
    status: str
    category: str | None
    service: str
    description: str | None
    detected_at: datetime
    triggered_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    first_alert_at: datetime | None
    alert_count: int
    declared_by_hand: bool
    ack_target: timedelta | None
    restore_target: timedelta | None
    entries: tuple[EntryFact, ...] = ()
    severity_changes: tuple[SeverityChange, ...] = ()
    roles: tuple[RoleFact, ...] = ()
    changes: tuple[ChangeFact, ...] = ()
    runbooks: tuple[RunbookFact, ...] = ()
    runs: tuple[RunFact, ...] = ()
    root_cause: str | None = None
    fix: str | None = None
    monitoring: str | None = None
    impact: str | None = None
    updates_posted: int = 0

    @property
    def detection(self) -> Detection:
        """How the incident was found: an alert, a customer's report, or the team itself."""
        if not self.declared_by_hand:
            return "alert"
        return "customer" if self.category == "customer_report" else "team"

    @property
    def duration(self) -> timedelta | None:
        """From the start of the problem (``detected_at``: the first alert's start, or the
        moment it was declared) to resolution; None while the incident is still open."""
        return None if self.resolved_at is None else _since(self.detected_at, self.resolved_at)

    @property
    def figures(self) -> tuple[Figure, ...]:
        """Time to detect (first alert's start → the incident opened in Plantão), then opened
        → acknowledged, mitigated and resolved. The matrix has one restore target (MTTR):
        mitigation and resolution are both measured against it."""
        detect = (
            None if self.first_alert_at is None else _since(self.first_alert_at, self.triggered_at)
        )
        return (
            Figure("detect", detect, None),
            Figure("acknowledge", self._after(self.acknowledged_at), self.ack_target),
            Figure("mitigate", self._after(self.mitigated_at), self.restore_target),
            Figure("resolve", self._after(self.resolved_at), self.restore_target),
        )

    @property
    def spans_days(self) -> bool:
        """Whether the timeline crosses a UTC midnight (then its lines carry the date)."""
        first = self.entries[0].at if self.entries else self.detected_at
        last = max(
            [entry.at for entry in self.entries[-1:]]
            + [t for t in (self.resolved_at, self.detected_at) if t is not None]
        )
        return first.date() != last.date()

    def _after(self, moment: datetime | None) -> timedelta | None:
        return None if moment is None else _since(self.triggered_at, moment)


def _since(start: datetime, end: datetime) -> timedelta:
    """``end - start``, never negative (an alert's clock may run ahead of ours)."""
    return max(end - start, timedelta(0))
