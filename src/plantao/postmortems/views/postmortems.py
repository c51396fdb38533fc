"""Postmortems over the API (seed 002 §5: blameless postmortem, reviewed, published).

``POST /api/v1/incidents/{ref}/postmortem`` starts the incident's postmortem from its generated
draft (201) or answers the one it has (200); ``GET`` the same path reads it. Under
``/api/v1/postmortems/{pm_id}``: read and change it (a new text names the ``base_version`` it
was written on: 409 when someone saved in between), its versions, submit for review, a
reviewer's decision, publish, reopen, and the Markdown export. Reading needs sight of the
incident (a private incident's postmortem is not found for others); changing needs the right to
act on the incident; deciding a review is the requested reviewer's own business.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from plantao.api.deps import Anyone, Responder, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.roles import Scope
from plantao.errors import NotFound, ValidationFailed
from plantao.incidents import access as incident_access
from plantao.postmortems import (
    access,
    editing,
    exporting,
    publishing,
    reading,
    records,
    reviewing,
)
from plantao.postmortems.schemas import (
    PostmortemList,
    PostmortemOut,
    PostmortemPatch,
    ReviewIn,
    StartIn,
    Status,
    SubmitIn,
    VersionList,
    VersionOut,
)

router = APIRouter(prefix="/api/v1", tags=["postmortems"], responses=problem_responses())
_WRITE = frozenset({Scope.RESPOND, Scope.ADMIN})
Version = Annotated[int, Query(ge=1, le=2**31 - 1)]


@router.post("/incidents/{ref}/postmortem", response_model=PostmortemOut, status_code=201)
def start(
    ref: str, session: SessionDep, who: Responder, response: Response, body: StartIn | None = None
) -> PostmortemOut:
    """Start the incident's postmortem from its generated draft (201), or answer the one it
    already has (200)."""
    incident = incident_access.get_to_act(session, ref, who)
    pm, created = editing.start(
        session, incident, actor=who.actor, language=body.language if body else None
    )
    session.commit()
    if not created:
        response.status_code = 200
    return reading.detail(session, pm, incident)


@router.get("/incidents/{ref}/postmortem", response_model=PostmortemOut)
def read_for_incident(ref: str, session: SessionDep, who: Viewer) -> PostmortemOut:
    """The incident's postmortem (404 when none was started)."""
    incident = incident_access.get_to_read(session, ref, who)
    pm = records.for_incident(session, incident.id)
    if pm is None:
        raise NotFound(f"incident '{incident.human_id}' has no postmortem yet")
    return reading.detail(session, pm, incident)


@router.get("/postmortems", response_model=PostmortemList)
def list_postmortems(
    session: SessionDep,
    who: Viewer,
    status: Status | None = None,
    overdue: bool | None = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
) -> PostmortemList:
    """Postmortems of the incidents you may see, unpublished first, soonest due first; filter
    by state, overdue (past the RCA window and not published) and owner's handle."""
    return PostmortemList(
        items=reading.listing(session, who, status=status, overdue=overdue, owner=owner)
    )


@router.get("/postmortems/{pm_id}", response_model=PostmortemOut)
def read(pm_id: Id, session: SessionDep, who: Viewer) -> PostmortemOut:
    pm, incident = access.to_read(session, pm_id, who)
    return reading.detail(session, pm, incident)


@router.patch("/postmortems/{pm_id}", response_model=PostmortemOut)
def change(pm_id: Id, body: PostmortemPatch, session: SessionDep, who: Responder) -> PostmortemOut:
    """Save a new text (with the ``base_version`` it was written on: 409 naming the current
    version when someone saved in between), name the owner, the root cause, the causing
    change. The blameless lint's warnings come back in ``lint``; they never block a save."""
    given = body.model_fields_set
    if not given:
        raise ValidationFailed("nothing to change")
    if body.markdown is not None and body.base_version is None:
        raise ValidationFailed(
            "a new text names the version it was written on",
            errors=[{"field": "base_version", "message": "required with markdown"}],
        )
    if "markdown" in given and body.markdown is None:
        raise ValidationFailed("the text cannot be removed", errors=[{"field": "markdown"}])
    pm, incident = access.to_act(session, pm_id, who)
    if body.markdown is not None and body.base_version is not None:
        editing.save(
            session,
            pm,
            body.markdown,
            base_version=body.base_version,
            actor=who.actor,
            note=body.note,
        )
    if body.owner is not None:
        editing.set_owner(session, pm, body.owner, actor=who.actor)
    if "root_cause" in given:
        editing.set_root_cause(session, pm, body.root_cause)
    if "cause_change" in given:
        editing.set_cause_change(session, pm, incident, body.cause_change)
    session.commit()
    return reading.detail(session, pm, incident)


@router.get("/postmortems/{pm_id}/versions", response_model=VersionList)
def list_versions(pm_id: Id, session: SessionDep, who: Viewer) -> VersionList:
    """Every saved text, newest first (without the text: read one version for it)."""
    pm, _incident = access.to_read(session, pm_id, who)
    return VersionList(items=reading.version_summaries(editing.versions(session, pm)))


@router.get("/postmortems/{pm_id}/versions/{number}", response_model=VersionOut)
def read_version(pm_id: Id, number: Id, session: SessionDep, who: Viewer) -> VersionOut:
    pm, _incident = access.to_read(session, pm_id, who)
    row = editing.version(session, pm, number)
    if row is None:
        raise NotFound(f"postmortem {pm.id} has no version {number}")
    return reading.version_out(row)


@router.post("/postmortems/{pm_id}/submit", response_model=PostmortemOut)
def submit(pm_id: Id, body: SubmitIn, session: SessionDep, who: Responder) -> PostmortemOut:
    """Ask reviewers (handles) to review: draft → in review. Not the authors (its owner and
    you)."""
    pm, incident = access.to_act(session, pm_id, who)
    reviewing.submit(
        session, pm, incident, body.reviewers, actor=who.actor, actor_user_id=who.user_id
    )
    session.commit()
    return reading.detail(session, pm, incident)


@router.post("/postmortems/{pm_id}/reviews", response_model=PostmortemOut)
def review(pm_id: Id, body: ReviewIn, session: SessionDep, who: Anyone) -> PostmortemOut:
    """A requested reviewer approves the current version or requests changes (with a
    comment). A later save sets an approval back to pending."""
    who.access.require_scope(_WRITE, "reviewing postmortems")
    pm, incident = access.to_review(session, pm_id, who)
    reviewing.decide(
        session,
        pm,
        reviewer_user_id=who.user_id,
        actor=who.actor,
        decision=body.decision,
        comment=body.comment,
    )
    session.commit()
    return reading.detail(session, pm, incident)


@router.post("/postmortems/{pm_id}/publish", response_model=PostmortemOut)
def publish(pm_id: Id, session: SessionDep, who: Responder) -> PostmortemOut:
    """Publish: every requested reviewer must have approved the current version (with none
    requested, a draft is published directly)."""
    pm, incident = access.to_act(session, pm_id, who)
    publishing.publish(session, pm, actor=who.actor)
    session.commit()
    return reading.detail(session, pm, incident)


@router.post("/postmortems/{pm_id}/reopen", response_model=PostmortemOut)
def reopen(pm_id: Id, session: SessionDep, who: Responder) -> PostmortemOut:
    """A published postmortem back to draft; new versions continue from the last one."""
    pm, incident = access.to_act(session, pm_id, who)
    publishing.reopen(session, pm, actor=who.actor)
    session.commit()
    return reading.detail(session, pm, incident)


@router.get(
    "/postmortems/{pm_id}/export.md",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def export_markdown(pm_id: Id, session: SessionDep, who: Viewer) -> Response:
    """The postmortem as a Markdown file (the current text with a header of its facts)."""
    pm, incident = access.to_read(session, pm_id, who)
    return Response(
        exporting.markdown(session, pm, incident),
        media_type="text/markdown; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{exporting.filename(incident)}"'},
    )
