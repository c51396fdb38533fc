"""The release gate's decision from what blocks a service right now. Pure: the caller gathers
the open must-fix actions, the open incidents and any active override; this says the answer
and why, in the shape the API, the CLI and the stored decision share.

Seed 002: "AC items block promotions when marked must-fix"; an open Sev1/Sev2 incident on the
service blocks too unless the service is configured otherwise. An active admin override lets a
release through whatever blocks, and the answer still lists what it overrode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class BlockingAction:
    id: str  # AC-07
    incident: str  # INC-20261202-1
    title: str
    owner: str | None  # handle
    due: date
    environment: str | None


@dataclass(frozen=True)
class OpenIncident:
    id: str  # INC-…
    title: str
    severity: str
    status: str


@dataclass(frozen=True)
class ActiveOverride:
    id: int
    reason: str
    created_by: str
    expires_at: datetime
    environment: str | None


@dataclass(frozen=True)
class Answer:
    allowed: bool
    blocking: tuple[dict[str, Any], ...]
    override: ActiveOverride | None

    def as_dict(self, service: str, environment: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "allowed": self.allowed,
            "service": service,
            "environment": environment,
            "blocking": list(self.blocking),
        }
        if self.override is not None:
            body["override"] = {
                "id": self.override.id,
                "reason": self.override.reason,
                "by": self.override.created_by,
                "expires_at": self.override.expires_at.isoformat(),
            }
        return body


def action_reason(action: BlockingAction) -> dict[str, Any]:
    return {
        "kind": "action",
        "id": action.id,
        "incident": action.incident,
        "title": action.title,
        "owner": action.owner,
        "due": action.due.isoformat(),
    }


def incident_reason(incident: OpenIncident) -> dict[str, Any]:
    return {
        "kind": "incident",
        "id": incident.id,
        "incident": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
    }


def decide(
    actions: Sequence[BlockingAction],
    incidents: Sequence[OpenIncident],
    *,
    block_severities: frozenset[str],
    override: ActiveOverride | None,
) -> Answer:
    """Blocked when a must-fix action is open or an incident of a blocking severity is open,
    unless an override is active; the reasons are listed either way (actions by id, then
    incidents by id)."""
    blocking = [action_reason(a) for a in sorted(actions, key=lambda a: (a.due, a.id))]
    blocking += [
        incident_reason(i)
        for i in sorted(incidents, key=lambda i: i.id)
        if i.severity in block_severities
    ]
    allowed = not blocking or override is not None
    return Answer(allowed, tuple(blocking), override if blocking else None)
