"""Similar past incidents: the resolved incidents most like this one, and how they were resolved.

The question a responder asks at 3 a.m. is "has this happened before, and what did we do?"
(PagerDuty's "past incidents", seed 003's history look-ups). The answer is read in a bounded
number of indexed queries, whatever the size of the history:

1. the probe's own alerts (the newest :data:`PROBE_ALERTS`) give its families, labels, text;
2. candidates, all resolved or closed, triggered within :data:`WINDOW`, visible to the reader:
   those holding an alert of the same ``alertname`` (newest :data:`FAMILY_CANDIDATES`, read
   from the ``ix_alerts_alertname`` expression index: ``plantao.alerts.label_index``), those
   of the same service (newest :data:`SERVICE_CANDIDATES`), and the newest whose title holds
   one of the probe title's longest words (:data:`WORD_CANDIDATES`;
   ``similarity.search_words``), so an incident
   declared by hand, or one from a renamed rule on another service, is still found by words;
3. the candidates' titles and a few alerts each (:data:`CANDIDATE_ALERTS`) are scored in Python
   by :mod:`plantao.postmortems.similarity` — a few hundred profiles at most;
4. only the kept few get their details: the resolution (the ``resolution`` status update's fix
   and root cause, else the note written when resolving), the runbooks people confirmed, added
   or ran, the postmortem.

Private incidents the reader may not see are never candidates (the same SQL clause the lists
use), so neither their titles nor their resolutions leak through this page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts.label_index import Alertname
from plantao.alerts.models import Alert
from plantao.catalog.models import Service
from plantao.command.models import StatusUpdate
from plantao.incidents import visibility
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, TimelineEntry
from plantao.postmortems.models import Postmortem
from plantao.postmortems.similarity import (
    AlertFacts,
    Profile,
    Scored,
    profile,
    rank,
    search_words,
)
from plantao.runbooks.models import RunbookLink, RunbookRun

WINDOW = timedelta(days=365)
PROBE_ALERTS = 50
CANDIDATE_ALERTS = 3
FAMILY_CANDIDATES = 150
SERVICE_CANDIDATES = 100
WORD_CANDIDATES = 150
MAX_LIMIT = 20
DONE = (Status.RESOLVED.value, Status.CLOSED.value)
#: A resolution note is shown up to this many characters (the incident page has it whole).
NOTE_CHARS = 600
#: Note kinds that say what was done (a "fact" or "inference" note is not a resolution).
ACTING_NOTES = ("action", "decision")


@dataclass(frozen=True)
class Viewer:
    """Who is asking: private incidents they may not see are left out."""

    user_id: int
    is_admin: bool


@dataclass(frozen=True)
class RunbookUsed:
    """A runbook people relied on: confirmed, added by hand, or with a guarded action run."""

    ref: str
    runbook_id: str | None
    title: str
    url: str | None
    confirmed: bool
    ran: bool


@dataclass(frozen=True)
class PostmortemRef:
    id: int
    status: str


@dataclass(frozen=True)
class SimilarIncident:
    id: int
    number: str
    title: str
    severity: str
    status: str
    service: str
    triggered_at: datetime
    resolved_at: datetime | None
    time_to_resolve_seconds: int | None
    resolution: str | None
    runbooks: tuple[RunbookUsed, ...]
    postmortem: PostmortemRef | None
    score: float
    why: tuple[str, ...]


def _done_since(since: datetime, viewer: Viewer, probe_id: int) -> list[ColumnElement[bool]]:
    return [
        Incident.status.in_(DONE),
        Incident.triggered_at >= since,
        Incident.id != probe_id,
        visibility.visible_clause(viewer.user_id, viewer.is_admin),
    ]


def _ids(session: Session, query: Select[tuple[int]]) -> list[int]:
    return list(session.scalars(query))


def candidate_ids(
    session: Session, probe: Incident, names: Sequence[str], viewer: Viewer, since: datetime
) -> list[int]:
    """The ids worth scoring (bounded by the three ``*_CANDIDATES`` limits). The title query
    scans the window's titles when its words are rare (no index helps ``LIKE '%w%'``), and
    stops at the newest matches when they are common."""
    where = _done_since(since, viewer, probe.id)
    found: list[int] = []
    if names:
        family = (
            select(Alert.incident_id)
            .join(Incident, Incident.id == Alert.incident_id)
            .where(Alertname().in_(sorted(set(names))), *where)
            .group_by(Alert.incident_id)
            .order_by(Alert.incident_id.desc())
            .limit(FAMILY_CANDIDATES)
        )
        found += _ids(session, family)
    same_service = (
        select(Incident.id)
        .where(Incident.service_id == probe.service_id, *where)
        .order_by(Incident.triggered_at.desc())
        .limit(SERVICE_CANDIDATES)
    )
    found += _ids(session, same_service)
    words = search_words(probe.title)
    if words:
        titled = (
            select(Incident.id)
            .where(or_(*(Incident.title.ilike(f"%{w}%") for w in words)), *where)
            .order_by(Incident.triggered_at.desc())
            .limit(WORD_CANDIDATES)
        )
        found += _ids(session, titled)
    return list(dict.fromkeys(found))


def _alert_facts(
    session: Session, incident_ids: Sequence[int], per: int
) -> dict[int, list[AlertFacts]]:
    """Up to ``per`` newest alerts of each incident, in one query (a window function)."""
    if not incident_ids:
        return {}
    numbered = (
        select(
            Alert.incident_id,
            Alert.labels,
            Alert.summary,
            func.row_number()
            .over(partition_by=Alert.incident_id, order_by=Alert.id.desc())
            .label("n"),
        )
        .where(Alert.incident_id.in_(incident_ids))
        .subquery()
    )
    rows = session.execute(
        select(numbered.c.incident_id, numbered.c.labels, numbered.c.summary).where(
            numbered.c.n <= per
        )
    )
    out: dict[int, list[AlertFacts]] = {}
    for incident_id, labels, summary in rows:
        out.setdefault(incident_id, []).append(AlertFacts(labels or {}, summary or ""))
    return out


def _ended(incident: Incident) -> datetime | None:
    return incident.resolved_at or incident.closed_at


def similar_to(
    session: Session, incident: Incident, viewer: Viewer, *, limit: int = 5
) -> list[SimilarIncident]:
    """Up to ``limit`` resolved incidents most like ``incident``, best first."""
    limit = max(1, min(limit, MAX_LIMIT))
    since = clock.now() - WINDOW
    probe_alerts = _alert_facts(session, [incident.id], PROBE_ALERTS).get(incident.id, [])
    probe = profile(incident.service_id, incident.title, probe_alerts)
    names = sorted(
        {
            str(a.labels["alertname"])
            for a in probe_alerts
            if isinstance(a.labels.get("alertname"), str)
        }
    )
    ids = candidate_ids(session, incident, names, viewer, since)
    if not ids:
        return []
    facts = _alert_facts(session, ids, CANDIDATE_ALERTS)
    profiles: dict[int, Profile] = {}
    recency: dict[int, float] = {}
    columns = select(
        Incident.id,
        Incident.service_id,
        Incident.title,
        func.coalesce(Incident.resolved_at, Incident.closed_at, Incident.triggered_at),
    )
    for key, service_id, title, ended in session.execute(columns.where(Incident.id.in_(ids))):
        profiles[key] = profile(service_id, title, facts.get(key, []))
        recency[key] = ended.timestamp()
    kept = rank(probe, profiles, limit=limit, recency=recency)
    if not kept:
        return []
    rows = {
        i.id: i
        for i in session.scalars(select(Incident).where(Incident.id.in_([s.key for s in kept])))
    }
    return _detailed(session, [rows[s.key] for s in kept], kept)


def _detailed(
    session: Session, incidents: Sequence[Incident], scores: Sequence[Scored]
) -> list[SimilarIncident]:
    ids = [i.id for i in incidents]
    if not ids:
        return []
    wanted = {i.service_id for i in incidents}
    query = select(Service.id, Service.slug).where(Service.id.in_(wanted))
    services: dict[int, str] = dict(session.execute(query).tuples().all())
    notes = resolutions(session, incidents)
    used = runbooks_used(session, ids)
    pms = {
        row.incident_id: PostmortemRef(row.id, row.status)
        for row in session.execute(
            select(Postmortem.incident_id, Postmortem.id, Postmortem.status).where(
                Postmortem.incident_id.in_(ids)
            )
        )
    }
    out = []
    for incident, scored in zip(incidents, scores, strict=True):
        ended = _ended(incident)
        out.append(
            SimilarIncident(
                id=incident.id,
                number=incident.human_id,
                title=incident.title,
                severity=incident.severity,
                status=incident.status.value,
                service=services.get(incident.service_id, "?"),
                triggered_at=incident.triggered_at,
                resolved_at=ended,
                time_to_resolve_seconds=None
                if ended is None
                else max(0, int((ended - incident.triggered_at).total_seconds())),
                resolution=notes.get(incident.id),
                runbooks=tuple(used.get(incident.id, ())),
                postmortem=pms.get(incident.id),
                score=scored.score,
                why=scored.why,
            )
        )
    return out


def _clip(text: str) -> str:
    text = text.strip()
    return text if len(text) <= NOTE_CHARS else text[: NOTE_CHARS - 1].rstrip() + "…"


def resolutions(session: Session, incidents: Sequence[Incident]) -> dict[int, str]:
    """How each incident was resolved, in people's words: the newest ``resolution`` status
    update's fix (with its root cause), else the note written with the resolve (or close)
    action, else the newest "action" or "decision" note before it ended. Incidents with none
    are not keys."""
    ids = [i.id for i in incidents]
    out: dict[int, str] = {}
    updates = session.execute(
        select(StatusUpdate.incident_id, StatusUpdate.resolution)
        .where(StatusUpdate.incident_id.in_(ids), StatusUpdate.kind == "resolution")
        .order_by(StatusUpdate.id)
    )
    for incident_id, resolution in updates:
        facts = resolution or {}
        parts = [str(facts[k]).strip() for k in ("fix", "root_cause") if facts.get(k)]
        if parts:
            out[incident_id] = _clip(" — ".join(parts))
    ended = {i.id: _ended(i) for i in incidents if i.id not in out}
    if not ended:
        return out
    notes = session.execute(
        select(
            TimelineEntry.incident_id, TimelineEntry.at, TimelineEntry.message, TimelineEntry.data
        )
        .where(TimelineEntry.incident_id.in_(list(ended)), TimelineEntry.kind == "note")
        .order_by(TimelineEntry.id)
    )
    at_end: dict[int, str] = {}
    acted: dict[int, str] = {}
    for incident_id, at, message, data in notes:
        end = ended[incident_id]
        if end is not None and at == end:
            at_end[incident_id] = message
        elif (end is None or at <= end) and (data or {}).get("kind") in ACTING_NOTES:
            acted[incident_id] = message
    for incident_id, message in (acted | at_end).items():
        out[incident_id] = _clip(message)
    return out


def runbooks_used(session: Session, ids: Sequence[int]) -> dict[int, list[RunbookUsed]]:
    """Per incident, the runbooks people confirmed, added by hand or ran an action of (a
    suggestion nobody confirmed is not "used")."""
    ran = {
        (incident_id, runbook_id)
        for incident_id, runbook_id in session.execute(
            select(RunbookRun.incident_id, RunbookRun.runbook_id)
            .where(RunbookRun.incident_id.in_(ids))
            .distinct()
        )
    }
    links = session.scalars(
        select(RunbookLink)
        .where(RunbookLink.incident_id.in_(ids))
        .order_by(RunbookLink.incident_id, RunbookLink.id)
    )
    out: dict[int, list[RunbookUsed]] = {}
    for link in links:
        did_run = (link.incident_id, link.runbook_id) in ran
        if link.confirmed_at is None and link.source != "manual" and not did_run:
            continue
        out.setdefault(link.incident_id, []).append(
            RunbookUsed(
                ref=link.ref,
                runbook_id=link.runbook_id,
                title=link.title,
                url=link.url,
                confirmed=link.confirmed_at is not None,
                ran=did_run,
            )
        )
    return out
