"""The facts a message is rendered from, as plain data.

``comms`` sits beside ``command`` (siblings do not import each other), so whoever renders a
message (the engine's fan-out step, a preview route) gathers the incident's real data into
these shapes first. Templates see exactly these fields (StrictUndefined): a template that names
anything else fails at render time, in tests and at save time, never with a blank in a message.
Pure: no DB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class NextStep:
    action: str
    owner: str | None = None
    eta: datetime | None = None


@dataclass(frozen=True)
class UpdateFacts:
    """One status update (seed 002 status template, 003 §4.3)."""

    kind: str  # initial | update | resolution
    status: str  # investigating | identified | monitoring | resolved
    impact: str
    posted_by: str
    posted_at: datetime
    symptoms: str | None = None
    mitigation: str | None = None
    next_steps: tuple[NextStep, ...] = ()
    next_update_due_at: datetime | None = None
    # Resolution updates (003 §4.3): duration, root cause, fix, monitoring, postmortem date.
    duration_minutes: int | None = None
    root_cause: str | None = None
    fix: str | None = None
    monitoring: str | None = None
    postmortem_at: datetime | None = None


@dataclass(frozen=True)
class IncidentFacts:
    """The incident as a message describes it."""

    ref: str  # INC-YYYYMMDD-N
    title: str
    severity: str  # sev1..sev4
    priority: str  # P0..P3
    status: str  # lifecycle status
    service: str  # service name
    url: str  # the incident page
    detected_at: datetime
    triggered_at: datetime
    description: str | None = None
    private: bool = False
    commander: str | None = None  # handle of the IC
    comms_lead: str | None = None
    roles: tuple[tuple[str, str], ...] = ()  # (role, handle)
    #: When the severity's RCA window ends (customer e-mail: "RCA will be published by ...").
    rca_due_at: datetime | None = None
    update_every_minutes: int | None = None
    status_page_url: str | None = None
    resolved_at: datetime | None = None
    latest: UpdateFacts | None = None
    history: tuple[UpdateFacts, ...] = field(default_factory=tuple)
