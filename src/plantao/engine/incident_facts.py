"""An incident's real data gathered into :class:`~plantao.comms.facts.IncidentFacts`, the plain
shape message templates render from.

``comms`` and ``command`` are siblings that do not import each other, so the gathering happens
here, above both: the engine's fan-out step renders every status update from these facts, and
the API's and web's preview (``plantao.comms.views``, ``plantao.web.message_pages``) renders
the same facts, so what a person previews is what stakeholders receive. Batch-friendly: a set
of incidents costs a fixed number of queries (services, roles, updates, notes), not a few per
incident.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.catalog.models import Service
from plantao.command import role_holders
from plantao.command.models import StatusUpdate
from plantao.comms.facts import IncidentFacts, NextStep, Note, UpdateFacts
from plantao.config import Settings
from plantao.incidents import severity_config
from plantao.incidents.models import Incident, TimelineEntry
from plantao.incidents.severity import Level, SeverityMatrix
from plantao.postmortems import business_days, calendars
from plantao.postmortems.models import Postmortem
from plantao.statuspage.incident_links import status_page_urls

#: Notes a message quotes at most (the newest), per incident.
NOTES_KEPT = 50
#: Status updates kept in ``history`` (the newest), per incident.
HISTORY_KEPT = 20
_NOTE_KINDS = ("fact", "inference", "action", "decision")


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def update_facts(row: StatusUpdate) -> UpdateFacts:
    """A status update row as templates see it."""
    res: dict[str, Any] = row.resolution or {}
    duration = res.get("duration_minutes")
    return UpdateFacts(
        kind=row.kind,
        status=row.status,
        impact=row.impact,
        posted_by=row.posted_by,
        posted_at=row.posted_at,
        symptoms=row.symptoms or None,
        mitigation=row.mitigation or None,
        next_steps=tuple(
            NextStep(str(s.get("action", "")), s.get("owner") or None, _when(s.get("eta")))
            for s in row.next_steps or []
            if s.get("action")
        ),
        next_update_due_at=row.next_update_due_at,
        duration_minutes=int(duration) if isinstance(duration, int | float) else None,
        root_cause=res.get("root_cause") or None,
        fix=res.get("fix") or None,
        monitoring=res.get("monitoring") or None,
        postmortem_at=_when(res.get("postmortem_at")),
    )


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days of the fallback calendar (Monday–Friday, UTC)."""
    return business_days.add_business_days(start, days, business_days.Calendar())


def rca_due(
    level: Level, since: datetime, calendar: business_days.Calendar | None = None
) -> datetime | None:
    """When the severity's RCA window (seed 002: 48 h, 3 or 5 business days) ends, counted in
    the team's business ``calendar`` (see ``postmortems.business_days``)."""
    hours = None if level.rca_within is None else int(level.rca_within.total_seconds() // 3600)
    return business_days.window_end(
        since,
        hours=hours,
        business_days=level.rca_business_days,
        calendar=calendar or business_days.Calendar(),
    )


def _rca_due(
    level: Level | None,
    since: datetime,
    table: dict[int | None, business_days.Calendar],
    service: Service | None,
) -> datetime | None:
    if level is None:
        return None
    return rca_due(level, since, calendars.pick(table, service.team_id if service else None))


def _minutes(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds() // 60)


def _level(matrix: SeverityMatrix, severity: str) -> Level | None:
    try:
        return matrix.level(severity)
    except ValueError:
        return None


def _updates(session: Session, ids: list[int]) -> dict[int, list[StatusUpdate]]:
    out: dict[int, list[StatusUpdate]] = {i: [] for i in ids}
    rows = session.scalars(
        select(StatusUpdate)
        .where(StatusUpdate.incident_id.in_(ids))
        .order_by(StatusUpdate.incident_id, StatusUpdate.id)
    )
    for row in rows:
        out[row.incident_id].append(row)
    return out


def _notes(session: Session, ids: list[int]) -> tuple[dict[int, list[Note]], dict[int, Any]]:
    """Each incident's notes (oldest first, newest ``NOTES_KEPT``) and its latest risk entry."""
    notes: dict[int, list[Note]] = {i: [] for i in ids}
    risk: dict[int, TimelineEntry] = {}
    rows = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(ids), TimelineEntry.kind.in_(["note", "risk.posture"]))
        .order_by(TimelineEntry.incident_id, TimelineEntry.id)
    )
    for entry in rows:
        if entry.kind == "risk.posture":
            risk[entry.incident_id] = entry
            continue
        kind = str((entry.data or {}).get("kind", "fact"))
        if kind in _NOTE_KINDS:
            notes[entry.incident_id].append(Note(kind, entry.message, entry.actor, entry.at))
    return {i: n[-NOTES_KEPT:] for i, n in notes.items()}, risk


def facts_for_many(
    session: Session,
    incidents: Sequence[Incident],
    settings: Settings,
    *,
    now: datetime | None = None,
) -> dict[int, IncidentFacts]:
    """Facts of every incident in ``incidents``, by incident id."""
    if not incidents:
        return {}
    at = now or clock.now()
    ids = sorted({i.id for i in incidents})
    base = settings.base_url.rstrip("/")
    matrix = severity_config.severity_matrix(session)
    services = {
        s.id: s
        for s in session.scalars(
            select(Service).where(Service.id.in_(sorted({i.service_id for i in incidents})))
        )
    }
    holders = role_holders.holders(session, ids)
    updates = _updates(session, ids)
    notes, risks = _notes(session, ids)
    # A started postmortem's due date is the promise; otherwise the team's calendar says.
    promised = dict(
        session.execute(
            select(Postmortem.incident_id, Postmortem.due_at).where(Postmortem.incident_id.in_(ids))
        )
        .tuples()
        .all()
    )
    team_calendars = calendars.by_team(session)
    status_pages = status_page_urls(session, incidents, base)
    out: dict[int, IncidentFacts] = {}
    for incident in incidents:
        level = _level(matrix, incident.severity)
        hats = holders.get(incident.id, [])
        history = tuple(update_facts(u) for u in updates[incident.id][-HISTORY_KEPT:])
        risk = risks.get(incident.id)
        service = services.get(incident.service_id)
        out[incident.id] = IncidentFacts(
            ref=incident.human_id,
            title=incident.title,
            severity=incident.severity,
            priority=level.priority if level else incident.severity.upper(),
            status=incident.status.value,
            service=service.name if service else "?",
            url=f"{base}/incidents/{incident.human_id}",
            detected_at=incident.detected_at,
            triggered_at=incident.triggered_at,
            description=incident.description or None,
            private=incident.private,
            commander=next((h.handle for h in hats if h.role == "incident_commander"), None),
            comms_lead=next((h.handle for h in hats if h.role == "comms_lead"), None),
            roles=tuple((h.role, h.handle) for h in hats),
            rca_due_at=promised[incident.id]
            if incident.id in promised
            else _rca_due(level, incident.resolved_at or at, team_calendars, service),
            update_every_minutes=_minutes(level.update_every) if level else None,
            status_page_url=status_pages.get(incident.id),
            resolved_at=incident.resolved_at,
            latest=history[-1] if history else None,
            history=history,
            acknowledged_at=incident.acknowledged_at,
            mitigated_at=incident.mitigated_at,
            as_of=at,
            notes=tuple(notes[incident.id]),
            risk=str(risk.data.get("level")) if risk and risk.data.get("level") else None,
            risk_rationale=str(risk.data.get("rationale"))
            if risk and risk.data.get("rationale")
            else None,
        )
    return out


def facts_for(
    session: Session, incident: Incident, settings: Settings, *, now: datetime | None = None
) -> IncidentFacts:
    """The facts of one incident (see :func:`facts_for_many`)."""
    return facts_for_many(session, [incident], settings, now=now)[incident.id]
