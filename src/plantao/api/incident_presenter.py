"""Incident views assembled from several domains (alerts, changes, catalog), shared by the API,
the web UI and the CLI; an entry-point module because incidents may not import the domains
above it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import Session

from plantao.alerts import service as alert_service
from plantao.catalog import service as catalog_service
from plantao.changes import service as change_service
from plantao.command import cadence, responders, role_holders
from plantao.incidents import lifecycle, severity_config
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.incidents.schemas import (
    AlertOut,
    ChangeOut,
    DeliveryOut,
    IncidentDetail,
    IncidentOut,
    RoleOut,
    TimelineEntryOut,
)
from plantao.web import whos_on_it


def _targets(session: Session, incident: Incident) -> dict[str, object]:
    level = severity_config.severity_matrix(session).level(incident.severity)

    def due(delta: timedelta | None) -> str | None:
        return None if delta is None else (incident.triggered_at + delta).isoformat()

    return {
        "ack_due_at": due(level.mtta),
        "resolve_due_at": due(level.mttr),
        "update_every_minutes": (
            None if level.update_every is None else int(level.update_every.total_seconds() // 60)
        ),
    }


def summaries(session: Session, incidents: Sequence[Incident]) -> list[IncidentOut]:
    services = {s.id: s.slug for s in catalog_service.list_services(session)}
    counts = alert_service.counts_for_incidents(session, [i.id for i in incidents])
    matrix = severity_config.severity_matrix(session)
    hats = role_holders.holders(session, [i.id for i in incidents])
    dues = cadence.dues(session, [i.id for i in incidents])
    out = []
    for incident in incidents:
        level = matrix.level(incident.severity)
        out.append(
            IncidentOut(
                id=incident.id,
                human_id=incident.human_id,
                number=incident.human_id,
                title=incident.title,
                status=incident.status,
                severity=incident.severity,
                priority=level.priority,
                service=services.get(incident.service_id, "?"),
                group_key=incident.group_key,
                detected_at=incident.detected_at,
                triggered_at=incident.triggered_at,
                acknowledged_at=incident.acknowledged_at,
                mitigated_at=incident.mitigated_at,
                resolved_at=incident.resolved_at,
                closed_at=incident.closed_at,
                alert_count=counts.get(incident.id, 0),
                allowed_actions=[
                    a.value for a in lifecycle.allowed_actions(lifecycle.Status(incident.status))
                ],
                targets=_targets(session, incident),
                description=incident.description,
                private=incident.private,
                category=incident.category,
                roles=[
                    RoleOut(role=h.role, user=h.handle, name=h.name, assigned_at=h.assigned_at)
                    for h in hats.get(incident.id, [])
                ],
                next_update_due_at=dues[incident.id].next_due_at if incident.id in dues else None,
                update_overdue=incident.id in dues and dues[incident.id].overdue,
            )
        )
    return out


def detail(session: Session, incident: Incident) -> IncidentDetail:
    summary = summaries(session, [incident])[0]
    return IncidentDetail(
        **summary.model_dump(),
        alerts=[
            AlertOut.model_validate(a)
            for a in alert_service.alerts_for_incident(session, incident.id)
        ],
        timeline=[
            TimelineEntryOut.model_validate(t)
            for t in incident_service.timeline(session, incident.id)
        ],
        recent_changes=[
            ChangeOut.model_validate(c)
            for c in change_service.recent_for_service(
                session, incident.service_id, before=incident.detected_at
            )
        ],
        responders=responders.listing(session, incident.id),
        deliveries=[
            _delivery(person.handle, line)
            for person in whos_on_it.paged_people(session, incident.id)
            for line in person.deliveries
        ],
    )


def _delivery(user: str, line: whos_on_it.DeliveryLine) -> DeliveryOut:
    """A delivery as the incident page's "Who's on it" shows it (state named the same way,
    reason redacted)."""
    return DeliveryOut(
        user=user,
        channel=line.channel,
        contact=line.contact,
        state=line.state,
        reason=line.reason,
        attempts=line.attempts,
        created_at=line.created_at,
        next_attempt_at=line.next_attempt_at,
        sent_at=line.sent_at,
        finished_at=line.finished_at,
    )
