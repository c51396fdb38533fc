"""What other domains do when an incident opens, gains alerts or changes state.

These run inside the same transaction as the change that triggered them, which is what makes
paging and runbook linking durable: an incident is never committed without its escalation
state, and a rollback undoes both. Calls are explicit (no registry) so that forgetting one is a
visible code change, not a missed registration at start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from plantao.incidents.models import Incident


@dataclass(frozen=True)
class AttachedAlert:
    identity: str
    summary: str
    severity: str
    labels: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)


def incidents_opened(session: Session, incidents: Sequence[Incident]) -> None:
    """New incidents exist (status triggered), before their first alerts are attached.

    One call for all the incidents a transaction opens at once, so that each domain can
    react with a few set-based statements instead of a few per incident.
    """
    from plantao.oncall import service as oncall_service  # oncall builds on incidents.service

    oncall_service.incidents_opened(session, incidents)


def alerts_attached(
    session: Session, attached: Sequence[tuple[Incident, Sequence[AttachedAlert]]]
) -> None:
    """New alerts (not refreshes) joined these incidents, each with its alerts."""
    # Imported here: runbooks.linking builds on incidents.service, which imports this module.
    from plantao.runbooks import linking

    linking.schedule_linking_many(
        session,
        [
            (incident.id, [(a.labels, a.annotations) for a in alerts])
            for incident, alerts in attached
        ],
    )


def status_changed(
    session: Session, incident: Incident, before: str, after: str, actor: str
) -> None:
    """A lifecycle transition was applied (acknowledge, resolve, reopen, ...)."""
    from plantao.oncall import service as oncall_service

    oncall_service.incident_status_changed(session, incident, before, after, actor)
