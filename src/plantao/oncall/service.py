"""On-call use cases, the one entry other domains and entry points call.

Schedules live in :mod:`plantao.oncall.schedules`, running escalations in
:mod:`plantao.oncall.escalations`, windows in :mod:`plantao.oncall.window_store`, monitors in
:mod:`plantao.oncall.heartbeats`; this module re-exports their verbs and owns the reaction to
incident lifecycle changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from plantao.incidents.models import Incident
from plantao.oncall import escalations, heartbeats, schedules, settings
from plantao.oncall.escalations import escalate_now, pages, run_timer
from plantao.oncall.heartbeats import beat
from plantao.oncall.heartbeats import check as check_heartbeat

__all__ = [
    "beat",
    "check_heartbeat",
    "escalate_now",
    "escalations",
    "heartbeats",
    "incident_opened",
    "incident_status_changed",
    "incidents_opened",
    "pages",
    "run_timer",
    "schedules",
    "settings",
]

_STOPPING = {"acknowledged", "mitigated"}
_ENDING = {"resolved", "closed"}


def incident_opened(session: Session, incident: Incident) -> None:
    """Start the service's escalation policy (if it has one) from a snapshot."""
    escalations.start(session, incident)


def incidents_opened(session: Session, incidents: Sequence[Incident]) -> None:
    """:func:`incident_opened` for a batch of new incidents, with set-based statements."""
    escalations.start_new(session, incidents)


def incident_status_changed(
    session: Session, incident: Incident, before: str, after: str, actor: str
) -> None:
    """Ack, mitigate, resolve and close stop escalation and cancel deliveries not yet sent
    (someone owns the incident: a delayed e-mail rule must not page them again); reopen starts
    again from the first step of the same snapshot."""
    if after in _STOPPING or after in _ENDING:
        escalations.stop(session, incident, cancel=True, reason=f"{after} by {actor}")
    elif after == "triggered" and before != "triggered":
        escalations.start(session, incident)
