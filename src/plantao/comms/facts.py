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
class Note:
    """A note on the incident's timeline (``fact``, ``inference``, ``action``, ``decision``):
    the executive summary's "what we know / think / did", the escalation's "what was tried"."""

    kind: str
    text: str
    author: str
    at: datetime


@dataclass(frozen=True)
class EscalationAsk:
    """What the person escalating adds (seed 003 §9.3); typed when composing, not stored."""

    help_needed: str
    if_no_answer: str | None = None
    answer_within_minutes: int | None = None


@dataclass(frozen=True)
class DataLoss:
    """Seed 003 §8.2: restored from the backup taken at ``backup_at``; what was written between
    ``lost_from`` and ``lost_until`` is gone. Typed when composing the notice."""

    backup_at: datetime
    lost_from: datetime
    lost_until: datetime
    scope: str | None = None  # which data ("orders", "uploads")


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
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    #: When these facts were gathered ("duration so far" in an escalation).
    as_of: datetime | None = None
    #: Timeline notes, oldest first (see :class:`Note`).
    notes: tuple[Note, ...] = ()
    #: The risk posture recorded last (``low``/``medium``/``high``...) and why.
    risk: str | None = None
    risk_rationale: str | None = None
    #: Who signs messages to customers ("The ACME team"); templates have a wording without it.
    organisation: str | None = None
    #: Only when a person composes an escalation or a data-loss notice (preview inputs).
    escalation: EscalationAsk | None = None
    data_loss: DataLoss | None = None
