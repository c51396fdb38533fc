"""Runbook API: the library, an incident's runbooks and checklists, step runs, coverage."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from plantao import clock
from plantao.api.deps import Responder, SessionDep, SettingsDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.errors import PermissionDenied
from plantao.incidents import access as incident_access
from plantao.oncall import unresolved as oncall_unresolved
from plantao.runbooks import (
    checklists,
    coverage,
    feedback,
    library_access,
    linking,
    posture,
    render,
    step_requests,
)
from plantao.runbooks.models import RunbookRun
from plantao.runbooks.schemas import (
    AssumptionIn,
    ChecklistIn,
    ChecklistOut,
    CoverageOut,
    IncidentRunbooks,
    RejectIn,
    RiskIn,
    RunbookDetail,
    RunbookSummary,
    RunIn,
    RunOut,
)

router = APIRouter(tags=["runbooks"], responses=problem_responses())
INCIDENT = "/api/v1/incidents/{ref}"
ACTION_RUNS = INCIDENT + "/runbooks/{rid}/actions/{action}/runs"


def run_out(row: RunbookRun) -> RunOut:
    out = RunOut.model_validate(row)
    if row.status == "pending_approval" and row.expires_at and clock.now() > row.expires_at:
        out.status = "expired"
    return out


@router.get("/api/v1/runbooks", response_model=list[RunbookSummary])
def list_runbooks(
    settings: SettingsDep, _who: Viewer, lang: str | None = None
) -> list[RunbookSummary]:
    lib = library_access.library(settings)
    today = clock.now().date()
    out = []
    for rid in lib.ids():
        rb = library_access.get_runbook(lib, rid, lang or settings.language)
        out.append(render.summary(rb, library_access.languages(lib, rid), today))
    return out


@router.get("/api/v1/runbooks/{rid}", response_model=RunbookDetail)
def get_runbook(
    rid: str, settings: SettingsDep, _who: Viewer, lang: str | None = None
) -> RunbookDetail:
    lib = library_access.library(settings)
    rb = library_access.get_runbook(lib, rid, lang or settings.language)
    return render.detail(rb, library_access.languages(lib, rb.id), clock.now().date())


@router.get(INCIDENT + "/runbooks", response_model=IncidentRunbooks)
def incident_runbooks(ref: str, session: SessionDep, who: Viewer) -> IncidentRunbooks:
    incident = incident_access.get_to_read(session, ref, who)
    return linking.incident_runbooks(session, incident.id)


@router.post(INCIDENT + "/runbooks/{rid}/confirm", response_model=IncidentRunbooks)
def confirm_runbook(
    ref: str,
    rid: str,
    session: SessionDep,
    settings: SettingsDep,
    who: Responder,
    lang: str | None = None,
) -> IncidentRunbooks:
    incident = incident_access.get_to_act(session, ref, who)
    rb = library_access.get_runbook(
        library_access.library(settings), rid, lang or settings.language
    )
    linking.confirm(session, incident, rb, actor=who.actor)
    session.commit()
    return linking.incident_runbooks(session, incident.id)


@router.post(INCIDENT + "/runbooks/{rid}/reject", response_model=IncidentRunbooks)
def reject_runbook(
    ref: str,
    rid: str,
    session: SessionDep,
    settings: SettingsDep,
    who: Responder,
    body: RejectIn | None = None,
    lang: str | None = None,
) -> IncidentRunbooks:
    """Mark a runbook "not relevant" for this incident: it is hidden here and ranks lower for
    later alerts of the same family (see docs/runbook-feedback.md)."""
    incident = incident_access.get_to_act(session, ref, who)
    rb = library_access.get_runbook(
        library_access.library(settings), rid, lang or settings.language
    )
    feedback.reject(
        session,
        incident,
        rb,
        actor=who.actor,
        audit_actor=who.audit_actor,
        reason=body.reason if body else None,
    )
    session.commit()
    return linking.incident_runbooks(session, incident.id)


@router.get(INCIDENT + "/checklists", response_model=list[ChecklistOut])
def list_checklists(ref: str, session: SessionDep, who: Viewer) -> list[ChecklistOut]:
    return checklists.checklists(session, incident_access.get_to_read(session, ref, who).id)


def _one(session: SessionDep, incident_id: int, checklist_id: int) -> ChecklistOut:
    return next(c for c in checklists.checklists(session, incident_id) if c.id == checklist_id)


@router.post(INCIDENT + "/checklists", response_model=ChecklistOut, status_code=201)
def attach_checklist(
    ref: str, body: ChecklistIn, session: SessionDep, settings: SettingsDep, who: Responder
) -> ChecklistOut:
    incident = incident_access.get_to_act(session, ref, who)
    rb = library_access.get_runbook(
        library_access.library(settings), body.runbook, body.lang or settings.language
    )
    checklist = checklists.attach_runbook_checklist(session, incident, rb, actor=who.actor)
    session.commit()
    return _one(session, incident.id, checklist.id)


def _set(
    ref: str, cid: Id, iid: Id, session: SessionDep, who: Responder, checked: bool
) -> ChecklistOut:
    incident = incident_access.get_to_act(session, ref, who)
    checklists.set_item(session, incident, cid, iid, checked=checked, actor=who.actor)
    session.commit()
    return _one(session, incident.id, cid)


@router.post(INCIDENT + "/checklists/{cid}/items/{iid}/check", response_model=ChecklistOut)
def check_item(ref: str, cid: Id, iid: Id, session: SessionDep, who: Responder) -> ChecklistOut:
    return _set(ref, cid, iid, session, who, True)


@router.post(INCIDENT + "/checklists/{cid}/items/{iid}/uncheck", response_model=ChecklistOut)
def uncheck_item(ref: str, cid: Id, iid: Id, session: SessionDep, who: Responder) -> ChecklistOut:
    return _set(ref, cid, iid, session, who, False)


@router.post(INCIDENT + "/risk", status_code=201)
def record_risk(
    ref: str, body: RiskIn, session: SessionDep, settings: SettingsDep, who: Responder
) -> dict[str, object]:
    incident = incident_access.get_to_act(session, ref, who)
    posture.record_risk(
        session,
        incident,
        level=body.level,
        rationale=body.rationale,
        actor=who.actor,
        lang=settings.language,
    )
    oncall_unresolved.risk_raised(session, incident)  # seed 003 §9.1: high risk escalates now
    session.commit()
    return posture.latest_risk(session, incident.id) or {}


@router.post(INCIDENT + "/assumptions", status_code=201)
def record_assumption(
    ref: str, body: AssumptionIn, session: SessionDep, settings: SettingsDep, who: Responder
) -> dict[str, str]:
    incident = incident_access.get_to_act(session, ref, who)
    text = posture.record_assumption(
        session,
        incident,
        actor=who.actor,
        assumption=body.assumption,
        evidence=body.evidence,
        signal=body.signal,
        fallback=body.fallback,
        lang=body.lang or settings.language,
    )
    session.commit()
    return {"kind": "inference", "text": text}


@router.post(ACTION_RUNS, response_model=RunOut, status_code=202)
def request_run(
    ref: str,
    rid: str,
    action: str,
    body: RunIn,
    session: SessionDep,
    settings: SettingsDep,
    who: Responder,
) -> RunOut:
    """Request a step run of the runbook's executable step ``action``; the engine runs it."""
    step_requests.ensure_enabled(settings)
    incident = incident_access.get_to_act(session, ref, who)
    rb = library_access.get_runbook(
        library_access.library(settings), rid, body.lang or settings.language
    )
    row = step_requests.request(
        session,
        settings,
        incident,
        rb,
        action,
        values=dict(body.params),
        confirmation=body.confirmation,
        actor=who.actor,
        audit_actor=who.audit_actor,
    )
    session.commit()
    return run_out(row)


@router.get(INCIDENT + "/runs", response_model=list[RunOut])
def list_runs(ref: str, session: SessionDep, who: Viewer) -> list[RunOut]:
    """The incident's step runs, oldest first, with status and redacted output."""
    incident = incident_access.get_to_read(session, ref, who)
    return [run_out(r) for r in step_requests.list_for_incident(session, incident.id)]


@router.get(INCIDENT + "/runs/{run_id}", response_model=RunOut)
def get_run(ref: str, run_id: Id, session: SessionDep, who: Viewer) -> RunOut:
    """One step run: status and redacted output."""
    incident = incident_access.get_to_read(session, ref, who)
    return run_out(step_requests.get(session, incident, run_id))


@router.get(ACTION_RUNS + "/{run_id}", response_model=RunOut, include_in_schema=False)
def get_action_run(
    ref: str, rid: str, action: str, run_id: Id, session: SessionDep, who: Viewer
) -> RunOut:
    return get_run(ref, run_id, session, who)


@router.post(INCIDENT + "/runs/{run_id}/approve", response_model=RunOut)
def approve_run(
    ref: str, run_id: Id, session: SessionDep, settings: SettingsDep, who: Responder
) -> RunOut:
    """A second person approves a destructive step run (same command, before it expires)."""
    incident = incident_access.get_to_act(session, ref, who)
    row = step_requests.get(session, incident, run_id, for_update=True)
    rb = library_access.library(settings).get(row.runbook_id, row.lang)
    try:
        step_requests.approve(
            session,
            settings,
            incident,
            row,
            rb,
            actor=who.actor,
            roles=incident_access.roles_on(session, who, incident),
            audit_actor=who.audit_actor,
        )
    except PermissionDenied:
        session.commit()  # the refusal's audit entry; the run itself is unchanged
        raise
    session.commit()
    return run_out(row)


@router.post(ACTION_RUNS + "/{run_id}/approve", response_model=RunOut)
def approve_action_run(
    ref: str,
    rid: str,
    action: str,
    run_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    who: Responder,
) -> RunOut:
    """The same approval, addressed through the runbook's step."""
    return approve_run(ref, run_id, session, settings, who)


@router.get("/api/v1/kpis/runbook-coverage", response_model=CoverageOut)
def runbook_coverage(
    session: SessionDep,
    _who: Viewer,
    since: datetime | None = None,
    until: datetime | None = None,
) -> CoverageOut:
    return coverage.coverage(session, since=since, until=until)
