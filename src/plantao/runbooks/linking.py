"""Runbooks for incidents: links from alerts (annotation, matchers, suggestions), the
responder's confirmation, and the list an incident page shows.

Linking runs in the engine (job ``runbooks.link``), not in intake: ranking costs a fraction of a
millisecond per alert, which the intake path (thousands of alerts per second) should not pay
while it holds group locks. Intake only records which alerts joined which incidents (a reaction
marker, in its own transaction); the engine's reaction step turns the markers it claims into one
job per ``LINK_CHUNK`` incidents, so a crash loses no link and the dedup path costs nothing; the
job links all its incidents in one transaction with a few statements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.config import Settings
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.incidents.service import TimelineItem
from plantao.jobs import service as job_service
from plantao.jobs.service import Claimed
from plantao.runbooks import feedback
from plantao.runbooks.checklists import SYSTEM_ACTOR, attach_triage_many
from plantao.runbooks.document import Runbook
from plantao.runbooks.library import RunbookLibrary
from plantao.runbooks.library_access import library
from plantao.runbooks.models import RunbookLink
from plantao.runbooks.schemas import IncidentRunbooks, LinkOut
from plantao.urls import safe_link

#: The job kind that links runbooks, named here only; ``engine/handlers.py`` runs it (slow lane).
LINK_JOB = "runbooks.link"
SUGGESTIONS = 3
# A stronger reason to link replaces a weaker one on the same runbook (never the reverse).
_SOURCE_RANK = {"suggestion": 0, "matcher": 1, "annotation": 2, "manual": 3}
LINKED_SOURCES = ("annotation", "matcher", "manual")

LINK_CHUNK = 500  # incidents per runbooks.link job
LINK_CHUNK_ALERTS = 2000  # ... and alerts: a job's payload and transaction stay bounded

AlertData = tuple[Mapping[str, Any], Mapping[str, Any]]


def schedule_linking_many(
    session: Session, batches: Sequence[tuple[int, Sequence[AlertData]]]
) -> None:
    """Called when alerts (labels, annotations) join incidents (``(incident_id, alerts)``):
    one job per chunk of incidents attaches triage (if missing) and links runbooks for these
    alerts. One job for a whole intake batch rather than one per incident, because the engine
    pays three transactions per job whatever it holds, which would dominate linking's cost
    when a batch opens hundreds of incidents. The job carries labels and annotations so that it
    reads no alert rows, whatever the size of the incidents."""
    chunks: list[list[dict[str, Any]]] = []
    size = LINK_CHUNK_ALERTS  # forces a first chunk
    for incident_id, alerts in batches:
        if not alerts:
            continue
        if size >= LINK_CHUNK_ALERTS or len(chunks[-1]) >= LINK_CHUNK:
            chunks.append([])
            size = 0
        chunks[-1].append(
            {
                "incident_id": incident_id,
                "alerts": [
                    {"labels": dict(labels), "annotations": dict(annotations)}
                    for labels, annotations in alerts
                ],
            }
        )
        size += len(alerts)
    job_service.enqueue_many(
        session, [job_service.NewJob(LINK_JOB, {"incidents": chunk}) for chunk in chunks]
    )


def linking_requests(payload: Mapping[str, Any]) -> list[tuple[int, list[AlertData]]]:
    """The ``(incident_id, alerts)`` of a ``runbooks.link`` payload: ``{"incidents": [...]}``,
    or the one-incident shape (``{"incident_id", "alerts"}``) of jobs enqueued before batching,
    which may still wait in a database."""
    entries = payload.get("incidents", [payload])
    return [
        (
            int(entry["incident_id"]),
            [(a.get("labels", {}), a.get("annotations", {})) for a in entry["alerts"]],
        )
        for entry in entries
    ]


def link_job(factory: sessionmaker[Session], job: Claimed, settings: Settings) -> None:
    """The ``runbooks.link`` job: attach triage (once) and link runbooks for the alerts carried
    by the job, for all its incidents in one transaction (or the one incident of a job enqueued
    before batching)."""
    lib = library(settings)
    requests = linking_requests(job.payload)
    with session_scope(factory) as session:
        link_incidents(session, requests, lib, lang=settings.language)


def _runbook_from_url(lib: RunbookLibrary, url: str) -> str | None:
    """A ``runbook_url`` whose last path segment is a runbook id (``.../kafka-consumer-lag``,
    ``.../kafka-consumer-lag.md``) names that runbook; anything else stays an external link."""
    path = urlsplit(url.strip()).path.rstrip("/")
    name = path.rsplit("/", 1)[-1].removesuffix(".md")
    return name if name and lib.get(name) is not None else None


def _existing_links(session: Session, incident_id: int) -> dict[str, RunbookLink]:
    rows = session.scalars(select(RunbookLink).where(RunbookLink.incident_id == incident_id))
    return {row.ref: row for row in rows}


@dataclass(frozen=True)
class _Candidate:
    """A link one alert asks for, before it is compared with what the incident has."""

    ref: str
    source: str
    title: str
    runbook: Runbook | None
    score: float | None = None
    why: str = ""
    url: str | None = None


def _candidates(
    lib: RunbookLibrary,
    labels: Mapping[str, Any],
    notes: Mapping[str, Any],
    lang: str,
    weights: Mapping[str, Mapping[str, float]],
) -> list[_Candidate]:
    """An alert's ``runbook_url``, the runbooks whose matchers select it, else the top
    suggestions moved by responders' feedback on the alert's family (``weights``, from
    :func:`feedback.weights_for_many`): pure ranking, done before any incident is locked."""
    str_labels = {str(k): str(v) for k, v in labels.items()}
    str_annotations = {str(k): str(v) for k, v in notes.items()}
    found: list[_Candidate] = []
    # Only an http(s) URL may become a link; anything else (javascript:, data:) is ignored and
    # the alert gets matched or suggested runbooks like one without the annotation.
    url = safe_link(str_annotations.get("runbook_url", "")) or ""
    if url:
        rid = _runbook_from_url(lib, url)
        rb = lib.get(rid, lang) if rid else None
        why = "runbook_url annotation of the alert"
        found.append(
            _Candidate(rid or url, "annotation", rb.title if rb else url, rb, None, why, url)
        )
    for rb in lib.linked_for(str_labels, lang):
        found.append(
            _Candidate(rb.id, "matcher", rb.title, rb, why="linked by the runbook's alert matchers")
        )
    if found:
        return found
    return [
        _Candidate(s.id, "suggestion", s.title, lib.get(s.id, lang), score=s.score, why=s.reason)
        for s in lib.suggest(
            str_labels,
            str_annotations,
            k=SUGGESTIONS,
            lang=lang,
            adjust=feedback.adjust_for(weights, str_labels),
        )
    ]


def link_incidents(
    session: Session,
    requests: Sequence[tuple[int, Sequence[AlertData]]],
    lib: RunbookLibrary,
    *,
    lang: str = "en",
) -> None:
    """Attach triage (once) and link runbooks for each incident's alerts (labels,
    annotations), for many incidents with a few statements. Incidents deleted since are
    skipped. Running it twice links nothing twice: a link exists once per runbook per
    incident and only a stronger source replaces a weaker one."""
    weights = feedback.weights_for_many(
        session, {feedback.family_of(labels) for _, alerts in requests for labels, _ in alerts}
    )
    wanted: dict[int, list[list[_Candidate]]] = {}
    for incident_id, alerts in requests:  # ranked before locking: the locks stay short
        wanted.setdefault(incident_id, []).extend(
            _candidates(lib, labels, notes, lang, weights) for labels, notes in alerts
        )
    present = set(
        session.scalars(
            select(Incident.id)
            .where(Incident.id.in_(sorted(wanted)))
            .order_by(Incident.id)
            .with_for_update()
        )
    )
    ids = [incident_id for incident_id in wanted if incident_id in present]
    attach_triage_many(session, ids, lang=lang)
    _link_candidates(session, {i: wanted[i] for i in ids})


def _link_candidates(session: Session, wanted: Mapping[int, list[list[_Candidate]]]) -> None:
    """Store the candidates per incident and alert: new links with one INSERT, upgrades of
    stored ones in place, one timeline entry per new link."""
    existing: dict[int, dict[str, RunbookLink | dict[str, Any]]] = {i: {} for i in wanted}
    if wanted:
        for stored in session.scalars(
            select(RunbookLink).where(RunbookLink.incident_id.in_(sorted(wanted)))
        ):
            existing[stored.incident_id][stored.ref] = stored
    new: list[dict[str, Any]] = []
    timeline: list[tuple[int, TimelineItem]] = []
    now = clock.now()
    for incident_id, per_alert in wanted.items():
        links = existing[incident_id]
        for candidate in (c for found in per_alert for c in found):
            current = links.get(candidate.ref)
            if current is not None:
                _upgrade(current, candidate)
                continue
            rb = candidate.runbook
            row: dict[str, Any] = {
                "incident_id": incident_id,
                "ref": candidate.ref[:1024],
                "runbook_id": rb.id if rb else None,
                "lang": rb.lang if rb else None,
                "version": rb.version if rb else None,
                "title": candidate.title[:512],
                "source": candidate.source,
                "score": candidate.score,
                "why": candidate.why,
                "url": candidate.url,
                "created_at": now,
                "confirmed_at": None,
                "confirmed_by": None,
                "confirmed_version": None,
            }
            new.append(row)
            links[candidate.ref] = row
            timeline.append((incident_id, _linked_entry(candidate, row)))
    session.flush()  # upgrades of stored links
    if new:
        session.execute(insert(RunbookLink), new)
    incident_service.append_many(session, timeline, at=now)


def _upgrade(current: RunbookLink | dict[str, Any], candidate: _Candidate) -> None:
    """A stronger reason to link replaces a weaker one on the same runbook (never the
    reverse); no timeline entry, as the runbook was already shown."""
    source = current["source"] if isinstance(current, dict) else current.source
    if _SOURCE_RANK[candidate.source] <= _SOURCE_RANK[source]:
        return
    values: dict[str, Any] = {
        "source": candidate.source,
        "score": candidate.score,
        "why": candidate.why,
    }
    if candidate.runbook is not None:
        values |= {"version": candidate.runbook.version, "lang": candidate.runbook.lang}
    if isinstance(current, dict):
        current.update(values)
    else:
        for name, value in values.items():
            setattr(current, name, value)


def _linked_entry(candidate: _Candidate, row: Mapping[str, Any]) -> TimelineItem:
    source, title = candidate.source, candidate.title
    if source == "suggestion":
        kind, message = (
            "runbook.suggested",
            f"Runbook suggested: {title} (score {row['score']:.2f})",
        )
    else:
        kind, message = "runbook.linked", f"Runbook linked ({source}): {title}"
    return TimelineItem(
        kind,
        SYSTEM_ACTOR,
        message,
        {
            "runbook": candidate.ref,
            "source": source,
            "version": row["version"],
            "score": row["score"],
            "why": row["why"],
        },
    )


def incident_runbooks(session: Session, incident_id: int) -> IncidentRunbooks:
    rows = list(
        session.scalars(
            select(RunbookLink)
            .where(RunbookLink.incident_id == incident_id)
            .order_by(RunbookLink.id)
        )
    )
    hidden = feedback.rejected_on(session, incident_id)
    rejected = [r for r in rows if r.runbook_id in hidden]
    rows = [r for r in rows if r.runbook_id not in hidden]
    linked = [r for r in rows if r.source in LINKED_SOURCES or r.confirmed_at is not None]
    suggested = [r for r in rows if r not in linked]
    linked.sort(key=lambda r: (r.confirmed_at is None, -_SOURCE_RANK[r.source], r.id))
    suggested.sort(key=lambda r: (-(r.score or 0.0), r.id))
    return IncidentRunbooks(
        linked=[_link_out(r) for r in linked],
        suggested=[_link_out(r) for r in suggested],
        rejected=[_link_out(r) for r in rejected],
    )


def _link_out(row: RunbookLink) -> LinkOut:
    if row.runbook_id:
        view = f"/runbooks/{row.runbook_id}" + (f"?lang={row.lang}" if row.lang else "")
    else:  # rows linked before URLs were checked may hold one that must not be a link
        view = safe_link(row.url or row.ref) or ""
    return LinkOut(
        runbook_id=row.runbook_id,
        title=row.title,
        source=row.source,
        suggested=row.source == "suggestion" and row.confirmed_at is None,
        score=row.score,
        why=row.why,
        version=row.version,
        lang=row.lang,
        url=view,
        external_url=safe_link(row.url),
        confirmed_at=row.confirmed_at,
        confirmed_by=row.confirmed_by,
        confirmed_version=row.confirmed_version,
    )


def confirm(session: Session, incident: Incident, runbook: Runbook, *, actor: str) -> RunbookLink:
    """A responder says "this is the runbook we follow": pinned to the version they saw, and a
    vote for it on the incident's alert families (``confirm`` if the incident showed it,
    ``link`` if the responder brought it in), unless it was confirmed already."""
    now = clock.now()
    row = _existing_links(session, incident.id).get(runbook.id)
    if row is None or row.confirmed_at is None:
        shown = row is not None and row.source != "manual"
        feedback.record_confirmation(session, incident, runbook.id, shown=shown, actor=actor)
    if row is None:
        row = RunbookLink(
            incident_id=incident.id,
            ref=runbook.id,
            runbook_id=runbook.id,
            lang=runbook.lang,
            version=runbook.version,
            title=runbook.title[:512],
            source="manual",
            score=None,
            why="confirmed by a responder",
            url=None,
            created_at=now,
        )
        session.add(row)
    row.confirmed_at, row.confirmed_by = now, actor
    row.confirmed_version, row.version, row.lang = runbook.version, runbook.version, runbook.lang
    session.flush()
    incident_service.append(
        session,
        incident.id,
        [
            TimelineItem(
                "runbook.confirmed",
                actor,
                f"Confirmed runbook {runbook.id} v{runbook.short_version}",
                {"runbook": runbook.id, "version": runbook.version, "lang": runbook.lang},
            )
        ],
    )
    return row
