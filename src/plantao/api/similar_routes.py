"""Similar past incidents over the API.

``GET /api/v1/incidents/{ref}/similar?limit=5`` answers, for an incident someone may read, the
resolved or closed incidents of the last year most like it (same alert family, service, stable
labels and words), best first, with how each was resolved: the resolution note, the runbooks
people confirmed or ran, the postmortem and the time to resolve. ``why`` says what matched.
Private incidents the caller may not see are never listed (docs/similar-incidents.md).

Lives in ``api`` because ``postmortems/views`` routes postmortems, and the import rules allow
FastAPI only in entry points and ``views`` modules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from plantao.api.deps import SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.incidents import access as incident_access
from plantao.postmortems import similar_incidents
from plantao.postmortems.similar_incidents import SimilarIncident

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problem_responses())

Limit = Annotated[
    int,
    Query(ge=1, le=similar_incidents.MAX_LIMIT, description="how many incidents at most"),
]


class RunbookUsedOut(BaseModel):
    """A runbook people relied on in that incident."""

    ref: str = Field(description="the runbook id, or the URL an alert pointed at")
    runbook_id: str | None
    title: str
    url: str | None
    confirmed: bool = Field(description="someone confirmed it was the right runbook")
    ran: bool = Field(description="a guarded action of it was requested")


class PostmortemRefOut(BaseModel):
    id: int
    status: str = Field(description="draft, in_review or published")
    url: str = Field(description="the postmortem's page")


class SimilarIncidentOut(BaseModel):
    """A past incident like this one and how it ended."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 812,
                    "number": "INC-20261014-3",
                    "title": "Disk almost full on db-2 /var/lib/postgresql",
                    "severity": "sev2",
                    "status": "closed",
                    "service": "checkout",
                    "triggered_at": "2026-10-14T03:12:00Z",
                    "resolved_at": "2026-10-14T03:58:00Z",
                    "time_to_resolve_seconds": 2760,
                    "resolution": "Rotated WAL archives and raised the volume to 200 GiB",
                    "runbooks": [
                        {
                            "ref": "node-disk-full",
                            "runbook_id": "node-disk-full",
                            "title": "Node disk full",
                            "url": None,
                            "confirmed": True,
                            "ran": False,
                        }
                    ],
                    "postmortem": {"id": 95, "status": "published", "url": "/postmortems/95"},
                    "url": "/incidents/INC-20261014-3",
                    "score": 0.87,
                    "why": ["family:nodefilesystemalmostoutofspace", "service", "words:disk,full"],
                }
            ]
        }
    )

    id: int
    number: str = Field(description="the incident's human id")
    title: str
    severity: str
    status: str
    service: str = Field(description="the service's slug")
    triggered_at: datetime
    resolved_at: datetime | None = Field(description="when it was resolved (or closed)")
    time_to_resolve_seconds: int | None
    resolution: str | None = Field(
        description="how it was resolved: the resolution update's fix and root cause, else "
        "the note written when resolving it"
    )
    runbooks: list[RunbookUsedOut]
    postmortem: PostmortemRefOut | None
    url: str = Field(description="the incident's page")
    score: float = Field(description="0 to 1: weighted family, text, service and label match")
    why: list[str] = Field(description="what matched: family:…, service, labels:…, words:…")


def out(found: SimilarIncident) -> SimilarIncidentOut:
    pm = found.postmortem
    return SimilarIncidentOut(
        id=found.id,
        number=found.number,
        title=found.title,
        severity=found.severity,
        status=found.status,
        service=found.service,
        triggered_at=found.triggered_at,
        resolved_at=found.resolved_at,
        time_to_resolve_seconds=found.time_to_resolve_seconds,
        resolution=found.resolution,
        runbooks=[
            RunbookUsedOut(
                ref=r.ref,
                runbook_id=r.runbook_id,
                title=r.title,
                url=r.url,
                confirmed=r.confirmed,
                ran=r.ran,
            )
            for r in found.runbooks
        ],
        postmortem=None
        if pm is None
        else PostmortemRefOut(id=pm.id, status=pm.status, url=f"/postmortems/{pm.id}"),
        url=f"/incidents/{found.number}",
        score=found.score,
        why=list(found.why),
    )


@router.get("/{ref}/similar", response_model=list[SimilarIncidentOut])
def similar(
    ref: str, session: SessionDep, who: Viewer, limit: Limit = 5
) -> list[SimilarIncidentOut]:
    """Resolved incidents of the last year most like this one, best first."""
    incident = incident_access.get_to_read(session, ref, who)
    viewer = similar_incidents.Viewer(user_id=who.user_id, is_admin=who.is_admin)
    return [out(f) for f in similar_incidents.similar_to(session, incident, viewer, limit=limit)]
