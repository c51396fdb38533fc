"""Forms on the incident page that work with runbooks: confirm one or mark it not relevant,
attach its checklist, tick items, record the risk posture and assumptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.errors import DomainError
from plantao.incidents.models import Incident
from plantao.oncall import unresolved as oncall_unresolved
from plantao.runbooks import checklists as runbook_checklists
from plantao.runbooks import feedback as runbook_feedback
from plantao.runbooks import library_access as runbook_library
from plantao.runbooks import linking as runbook_linking
from plantao.runbooks import posture as runbook_posture
from plantao.web import rendering
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)


@router.post("/incidents/{ref}/runbooks/{rid}/confirm", response_model=None)
def confirm_runbook_form(
    ref: str,
    rid: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    lib = runbook_library.library(request.app.state.settings)
    lang = rendering.lang(request)
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_linking.confirm(
            session, inc, runbook_library.get_runbook(lib, rid, lang), actor=who.actor
        ),
        post=FormPost("runbook_confirm", {}, pending),
    )


@router.post("/incidents/{ref}/runbooks/{rid}/reject", response_model=None)
def reject_runbook_form(
    ref: str,
    rid: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    """ "Not relevant": the runbook leaves this incident's list and ranks lower next time."""
    lib = runbook_library.library(request.app.state.settings)
    lang = rendering.lang(request)
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_feedback.reject(
            session,
            inc,
            runbook_library.get_runbook(lib, rid, lang),
            actor=who.actor,
            audit_actor=who.audit_actor,
            reason=reason,
        ),
        post=FormPost("runbook_reject", {"reason": reason}, pending),
    )


@router.post("/incidents/{ref}/runbooks/{rid}/checklist", response_model=None)
def runbook_checklist_form(
    ref: str,
    rid: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    lib = runbook_library.library(request.app.state.settings)
    lang = rendering.lang(request)
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_checklists.attach_runbook_checklist(
            session, inc, runbook_library.get_runbook(lib, rid, lang), actor=who.actor
        ),
        post=FormPost("runbook_checklist", {}, pending),
    )


@router.post("/incidents/{ref}/checklists/{cid}/items/{iid}/{verb}", response_model=None)
def checklist_item_form(
    ref: str,
    cid: int,
    iid: int,
    verb: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    if verb not in ("check", "uncheck"):
        raise DomainError(f"unknown checklist verb '{verb}'")
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_checklists.set_item(
            session, inc, cid, iid, checked=verb == "check", actor=who.actor
        ),
        post=FormPost("checklist_item", {}, pending),
    )


@router.post("/incidents/{ref}/triage/risk", response_model=None)
def risk_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    level: Annotated[str, Form()] = "",
    rationale: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    lang = rendering.lang(request)

    def record(inc: Incident, who: Principal) -> None:
        runbook_posture.record_risk(
            session, inc, level=level, rationale=rationale, actor=who.actor, lang=lang
        )
        oncall_unresolved.risk_raised(session, inc)  # seed 003 §9.1: high risk escalates now

    return change_incident(
        request,
        session,
        csrf,
        ref,
        record,
        post=FormPost("risk", {"level": level, "rationale": rationale}, pending),
    )


@router.post("/incidents/{ref}/notes/assumption", response_model=None)
def assumption_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    assumption: Annotated[str, Form()] = "",
    evidence: Annotated[str, Form()] = "",
    signal: Annotated[str, Form()] = "",
    fallback: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    lang = rendering.lang(request)
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: runbook_posture.record_assumption(
            session,
            inc,
            actor=who.actor,
            assumption=assumption,
            evidence=evidence,
            signal=signal,
            fallback=fallback,
            lang=lang,
        ),
        post=FormPost(
            "assumption",
            {
                "assumption": assumption,
                "evidence": evidence,
                "signal": signal,
                "fallback": fallback,
            },
            pending,
        ),
    )
