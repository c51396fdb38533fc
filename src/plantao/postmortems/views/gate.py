"""The release gate over the API (seed 002: "AC items block promotions when marked must-fix").

``GET /api/v1/release-gate?service=<slug>[&environment=<env>]`` answers 200
``{"allowed": true, …}`` or 409 ``{"allowed": false, "blocking": […]}`` and stores the
decision; a token with only the ``gate`` scope may call it and nothing that reads incidents.
Decisions and overrides are listed by anyone who reads; overrides are created and revoked by
admins (audited).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from plantao import clock
from plantao.api.deps import Admin, Gate, SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.postmortems import gate, gate_overrides
from plantao.postmortems.gate_schemas import (
    ENV_PATTERN,
    DecisionOut,
    GateAnswerOut,
    OverrideIn,
    OverrideOut,
)
from plantao.postmortems.models import GateDecision, GateOverride

router = APIRouter(
    prefix="/api/v1/release-gate", tags=["release gate"], responses=problem_responses()
)

ServiceQuery = Annotated[str, Query(min_length=1, max_length=64, description="service slug")]
EnvQuery = Annotated[
    str | None,
    Query(max_length=64, pattern=ENV_PATTERN, description="environment; omitted: any"),
]


@router.get(
    "",
    response_model=GateAnswerOut,
    responses={409: {"model": GateAnswerOut, "description": "blocked: the reasons"}},
)
def release_gate(
    service: ServiceQuery, session: SessionDep, who: Gate, environment: EnvQuery = None
) -> Any:
    """May this service be released (to this environment) now? 200 when allowed, 409 with the
    blocking reasons when not; every answer is stored with who asked."""
    result, decision = gate.answer(
        session,
        service,
        environment,
        asked_by=gate.asker(session, who),
        via="api",
        who=who,
    )
    body = {**result.body(), "decision": decision.id}
    out = GateAnswerOut.model_validate(body).model_dump(mode="json")
    session.commit()
    return JSONResponse(out, status_code=200 if result.answer.allowed else 409)


def _decision(row: GateDecision, slug: str) -> DecisionOut:
    return DecisionOut.model_validate(
        {
            "id": row.id,
            "at": row.at,
            "service": slug,
            "environment": row.environment,
            "asked_by": row.asked_by,
            "via": row.via,
            "allowed": row.allowed,
            "blocking": row.blocking,
            "override_id": row.override_id,
        }
    )


@router.get("/decisions", response_model=list[DecisionOut])
def list_decisions(
    session: SessionDep,
    who: Viewer,
    service: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DecisionOut]:
    """The gate's recorded answers, newest first (private incidents' titles are never stored)."""
    service_id = None if service is None else gate.service_by_slug(session, service).id
    return [_decision(row, slug) for row, slug in gate.decisions(session, service_id, limit=limit)]


def _override(row: GateOverride, slug: str) -> OverrideOut:
    return OverrideOut(
        id=row.id,
        service=slug,
        environment=row.environment,
        reason=row.reason,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        active=row.revoked_at is None and row.expires_at > clock.now(),
    )


@router.post("/overrides", response_model=OverrideOut, status_code=201)
def create_override(body: OverrideIn, session: SessionDep, who: Admin) -> OverrideOut:
    """Let the service's releases through until ``expires_at`` (at most 7 days), whatever
    blocks them; the reason is kept and audited."""
    row, service = gate_overrides.create(
        session,
        service_slug=body.service,
        environment=body.environment,
        reason=body.reason,
        expires_at=body.expires_at,
        actor=who.audit_actor,
    )
    out = _override(row, service.slug)
    session.commit()
    return out


@router.get("/overrides", response_model=list[OverrideOut])
def list_overrides(
    session: SessionDep,
    who: Viewer,
    service: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    active: bool = False,
) -> list[OverrideOut]:
    """Overrides, newest first (``active=true``: only those in force now)."""
    service_id = None if service is None else gate.service_by_slug(session, service).id
    rows = gate_overrides.listing(session, service_id, active_only=active)
    return [_override(row, slug) for row, slug in rows]


@router.delete("/overrides/{override_id}", response_model=OverrideOut)
def revoke_override(
    override_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    who: Admin,
) -> OverrideOut:
    """End an override now (audited)."""
    row, slug = gate_overrides.revoke(session, override_id, actor=who.audit_actor)
    out = _override(row, slug)
    session.commit()
    return out
