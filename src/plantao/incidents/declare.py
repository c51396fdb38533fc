"""Declare an incident by hand (seed 002, "Critérios de abertura"): a customer report, a
potential data leak, a cost burn, a security event — things no alert fired for.

A declared incident is opened through :func:`plantao.incidents.service.open_incidents`, like
an alert's, so the same ``opened`` reaction marker makes the engine start the service's
escalation policy: paging follows the policy exactly as for an alert. It has a group key of
its own (``declared:<uuid>``) so no alert ever groups into it, and it never resolves itself
when alerts clear (``auto_resolve`` off). Its human id is given at commit, like every incident's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.catalog import service as catalog_service
from plantao.errors import ValidationFailed
from plantao.incidents import access, severity
from plantao.incidents import service as incident_service
from plantao.incidents.models import INCIDENT_CATEGORIES, Incident
from plantao.people import directory

TITLE_MAX = 1024
DESCRIPTION_MAX = 20_000
#: An incident's group key when declared by hand; alerts' keys never start with it.
GROUP_PREFIX = "declared:"
#: A declared incident groups nothing, so its window is moot; the default keeps it comparable.
GROUP_WINDOW_SECONDS = 86_400


@dataclass(frozen=True)
class Declaration:
    """What a person declares: everything but ``title``, ``service`` and ``severity`` may be
    left out."""

    title: str
    service: str
    severity: str
    description: str | None = None
    private: bool = False
    category: str | None = None


def _checked(spec: Declaration) -> Declaration:
    """The declaration with its text trimmed, or ValidationFailed naming the field."""
    title = spec.title.strip()
    if not title:
        raise ValidationFailed("title: give the incident a title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(f"title: longer than {TITLE_MAX} characters")
    try:
        level = severity.normalize(spec.severity)
    except ValueError as exc:
        raise ValidationFailed(f"severity: {exc}") from None
    description = (spec.description or "").strip() or None
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise ValidationFailed(f"description: longer than {DESCRIPTION_MAX} characters")
    category = (spec.category or "").strip() or None
    if category is not None and category not in INCIDENT_CATEGORIES:
        raise ValidationFailed(
            f"category: unknown category '{category[:40]}'; use {', '.join(INCIDENT_CATEGORIES)}"
        )
    return Declaration(
        title=title,
        service=spec.service.strip(),
        severity=level,
        description=description,
        private=spec.private,
        category=category,
    )


def _why(spec: Declaration) -> str:
    reason = spec.category.replace("_", " ") if spec.category else None
    parts = [p for p in (reason, spec.description) if p]
    return ": ".join(parts) if parts else "no reason given"


def declare(
    session: Session, spec: Declaration, *, actor: str, who: Principal | None = None
) -> Incident:
    """Open the incident ``spec`` describes; flushes. ``who``: the person declaring it, who
    needs the responder role on the service's team (None: the server's operator, from the
    CLI). Unknown service: NotFound; bad fields: ValidationFailed; no role: PermissionDenied.

    The incident's human id is a placeholder until the transaction commits.
    """
    checked = _checked(spec)
    service = catalog_service.service_by_slug(session, checked.service)
    if who is not None:
        who.require(Need.RESPOND, service.team_id)
    now = clock.now()
    [incident] = incident_service.open_incidents(
        session,
        [
            incident_service.NewIncident(
                title=checked.title,
                severity_name=checked.severity,
                service_id=service.id,
                route_id=None,
                group_key=f"{GROUP_PREFIX}{uuid.uuid4()}",
                group_window_seconds=GROUP_WINDOW_SECONDS,
                auto_resolve=False,
                detected_at=now,
            )
        ],
        actor=actor,
    )
    incident.description = checked.description
    incident.private = checked.private
    incident.category = checked.category
    session.flush()
    data: dict[str, object] = {
        "category": checked.category,
        "private": checked.private,
        "severity": checked.severity,
    }
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                "incident.declared", actor, f"Declared by {actor}: {_why(checked)}", data
            )
        ],
        at=now,
    )
    if checked.private and who is not None:
        # A private incident shows only to its responders (and admins): its author is one.
        declarer = directory.by_handle(session, who.handle)
        if declarer is not None:
            access.add_responder(session, incident, declarer, actor=actor)
    return incident
