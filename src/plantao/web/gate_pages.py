"""A service's release gate in the web UI: the answer a pipeline would get now (computed, not
recorded: reading the page is no release), the last 20 recorded decisions, the active
overrides, and for admins the forms to override the gate (reason + how long) or revoke one.

Every signed-in person reads it; the reasons link to the actions and incidents, and private
incidents the reader may not see are named without their titles (``postmortems.gate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.catalog.models import Service
from plantao.errors import DomainError, NotFound
from plantao.postmortems import gate, gate_overrides, gate_settings
from plantao.web import admin_common, oncall_times, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)
DECISIONS_SHOWN = 20
DEFAULT_LENGTH = "2h"


@dataclass(frozen=True)
class OverrideForm:
    environment: str = ""
    reason: str = ""
    length: str = DEFAULT_LENGTH


def _path(service: Service) -> str:
    return f"/services/{quote(service.slug)}/release-gate"


def gate_page(
    request: Request,
    session: Session,
    principal: Principal,
    service: Service,
    *,
    form: OverrideForm | None = None,
    error: str | None = None,
) -> Response:
    evaluation = gate.evaluate(session, service, None, principal)
    severities = sorted(gate_settings.block_severities(session, service.id))
    overrides = [row for row, _ in gate_overrides.listing(session, service.id, active_only=True)]
    decisions = [row for row, _ in gate.decisions(session, service.id, limit=DECISIONS_SHOWN)]
    notice_key = {"created": "gate_created", "revoked": "gate_revoked"}.get(
        request.query_params.get("done", "")
    )
    context: dict[str, Any] = {
        "service": service,
        "path": _path(service),
        "answer": evaluation.answer,
        "severities": severities,
        "overrides": overrides,
        "decisions": decisions,
        "form": form or OverrideForm(),
        "error": error,
        "notice": TEXTS[rendering.lang(request)][notice_key] if notice_key else None,
    }
    return admin_common.page(
        request,
        "admin/release_gate.html",
        principal,
        status_code=422 if error else 200,
        **context,
    )


@router.get("/services/{slug}/release-gate", response_class=HTMLResponse, response_model=None)
def release_gate_page(slug: str, request: Request, session: SessionDep) -> Response:
    """The service's gate: its answer now, recent decisions, overrides."""
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    return gate_page(request, session, principal, gate.service_by_slug(session, slug))


@router.post("/services/{slug}/release-gate/overrides", response_model=None)
def create_override_form(
    slug: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    environment: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    length: Annotated[str, Form()] = "",
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    service = gate.service_by_slug(session, slug)
    texts = TEXTS[rendering.lang(request)]
    form = OverrideForm(environment.strip()[:64], reason.strip()[:2000], length.strip()[:16])

    def again(message: str) -> Response:
        return gate_page(request, session, who, service, form=form, error=message)

    if not form.reason:
        return again(texts["gate_err_reason"])
    span = oncall_times.parse_length(form.length or DEFAULT_LENGTH)
    if span is None or span > gate_overrides.MAX_AHEAD:
        return again(texts["gate_err_length"])
    try:
        gate_overrides.create(
            session,
            service_slug=service.slug,
            environment=form.environment or None,
            reason=form.reason,
            expires_at=clock.now() + span,
            actor=who.audit_actor,
        )
    except DomainError as exc:
        session.rollback()
        return again(f"{texts['gate_err_rejected']}: {exc}")
    session.commit()
    return RedirectResponse(_path(service) + "?done=created", status_code=303)


@router.post("/services/{slug}/release-gate/overrides/{override_id}/revoke", response_model=None)
def revoke_override_form(
    slug: str,
    override_id: int,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
) -> Response:
    who = rendering.writer(request, session, csrf, Need.ADMIN)
    if isinstance(who, Response):
        return who
    service = gate.service_by_slug(session, slug)
    if not 0 < override_id < 2**31:
        raise NotFound(f"no gate override {override_id}")
    _, of_service = gate_overrides.revoke(session, override_id, actor=who.audit_actor)
    if of_service != service.slug:
        session.rollback()
        raise NotFound(f"no gate override {override_id} on this service")
    session.commit()
    return RedirectResponse(_path(service) + "?done=revoked", status_code=303)
