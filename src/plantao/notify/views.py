"""Signed action links (``/a/{token}``) and the admin view of the outbox (``/api/v1/deliveries``).

``GET /a/{token}`` only shows what the link would do (incident, action, on whose behalf) and a
button: mail scanners and chat link previews fetch URLs, and must not acknowledge incidents by
doing so. ``POST /a/{token}`` acts, once. The signed token is the credential (no session, no
API token); it never appears in logs (the access log scrubs ``/a/<token>``). Refusals are 4xx
HTML pages that change nothing: malformed or tampered 400, wrong action 400, expired or already
used 410, incident gone 404. An escalate link is acted on here rather than in
:mod:`plantao.notify.action_links`: escalating belongs to on-call, a domain above notify, which
only an entry point may call.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from plantao.api.deps import Admin, Manager, SessionDep, SettingsDep
from plantao.api.errors import problem_responses
from plantao.api.params import Id, IdFilter
from plantao.auth.roles import Need
from plantao.db import session_scope
from plantao.errors import Conflict, DomainError
from plantao.notify import action_links, link_tokens, outbox_admin, rendering
from plantao.notify.action_links import ActionResult, Redeemed
from plantao.notify.link_tokens import LinkAction
from plantao.notify.models import Delivery
from plantao.oncall import service as oncall_service

router = APIRouter(responses=problem_responses())
_templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates" / "pages"))

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "incident": "Incident",
        "status": "Status",
        "as_who": "On behalf of",
        "once": "This link works once.",
        "confirm_ack": "Acknowledge {ref}",
        "confirm_resolve": "Resolve {ref}",
        "confirm_escalate": "Escalate {ref} now",
        "heading_ack": "Acknowledge incident?",
        "heading_resolve": "Resolve incident?",
        "heading_escalate": "Escalate incident now?",
        "done": "Done",
        "refused": "This link cannot be used",
        "malformed": "This link is not a valid Plantão action link (it may have been cut or "
        "changed). Open Plantão and act from the incident page.",
        "expired": "This link has expired. Open Plantão and act from the incident page.",
        "used": "This link was already used. Each action link works once.",
        "wrong": "This link is for another action.",
        "gone": "The incident or person of this link no longer exists.",
        "open_incident": "Open {ref} in Plantão",
        "outcome_acknowledged": "{ref} acknowledged by {who}.",
        "outcome_resolved": "{ref} resolved by {who}.",
        "outcome_escalated": "{ref}: escalated to the next step.",
        "outcome_responder": "{ref}: {who} acknowledged the page as a responder.",
        "status_triggered": "Triggered",
        "status_acknowledged": "Acknowledged",
        "status_mitigated": "Mitigated",
        "status_resolved": "Resolved",
        "status_closed": "Closed",
    },
    "pt-BR": {
        "incident": "Incidente",
        "status": "Estado",
        "as_who": "Em nome de",
        "once": "Este link funciona uma única vez.",
        "confirm_ack": "Reconhecer {ref}",
        "confirm_resolve": "Resolver {ref}",
        "confirm_escalate": "Escalar {ref} agora",
        "heading_ack": "Reconhecer o incidente?",
        "heading_resolve": "Resolver o incidente?",
        "heading_escalate": "Escalar o incidente agora?",
        "done": "Feito",
        "refused": "Este link não pode ser usado",
        "malformed": "Este link não é um link de ação válido do Plantão (pode ter sido cortado "
        "ou alterado). Abra o Plantão e aja pela página do incidente.",
        "expired": "Este link expirou. Abra o Plantão e aja pela página do incidente.",
        "used": "Este link já foi usado. Cada link de ação funciona uma única vez.",
        "wrong": "Este link é para outra ação.",
        "gone": "O incidente ou a pessoa deste link não existe mais.",
        "open_incident": "Abrir {ref} no Plantão",
        "outcome_acknowledged": "{ref} reconhecido por {who}.",
        "outcome_resolved": "{ref} resolvido por {who}.",
        "outcome_escalated": "{ref}: escalado para o próximo passo.",
        "outcome_responder": "{ref}: {who} reconheceu o acionamento como responsável.",
        "status_triggered": "Disparado",
        "status_acknowledged": "Reconhecido",
        "status_mitigated": "Mitigado",
        "status_resolved": "Resolvido",
        "status_closed": "Fechado",
    },
}


def _browser_language(request: Request) -> str:
    return rendering.language_for(request.headers.get("accept-language", "en")[:2])


def _page(request: Request, lang: str, status_code: int, **context: Any) -> HTMLResponse:
    context.setdefault("preview", None)
    context.setdefault("confirm", None)
    context.setdefault("message", None)
    context.setdefault("error", False)
    response = _templates.TemplateResponse(
        request, "action.html", {"t": TEXTS[lang], "lang": lang, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _refusal(request: Request, exc: DomainError) -> HTMLResponse:
    lang = _browser_language(request)
    texts = TEXTS[lang]
    if isinstance(exc, action_links.UsedLinkError):
        status, key = 410, "used"
    elif isinstance(exc, link_tokens.ExpiredLinkError):
        status, key = 410, "expired"
    elif isinstance(exc, link_tokens.WrongPurposeError):
        status, key = 400, "wrong"
    elif isinstance(exc, link_tokens.ActionLinkError):
        status, key = 400, "malformed"
    else:
        status, key = 404, "gone"
    return _page(request, lang, status, heading=texts["refused"], message=texts[key], error=True)


@router.get("/a/{token}", response_class=HTMLResponse, include_in_schema=False)
def confirm_action(
    token: str, request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """Show what the link does; acts on nothing."""
    try:
        preview = action_links.inspect_action(session, token, settings)
    except DomainError as exc:
        return _refusal(request, exc)
    texts = TEXTS[preview.language]
    action = str(preview.claim.action)
    return _page(
        request,
        preview.language,
        200,
        heading=texts[f"heading_{action}"],
        preview=preview,
        action=action,
        confirm=texts[f"confirm_{action}"].format(ref=preview.incident_ref),
    )


def _escalate_now(session: Session, redeemed: Redeemed) -> ActionResult:
    """Fire the next escalation step as the person the link was sent to; a refusal by on-call
    (no policy, policy exhausted, incident closed) leaves the link spent and reports ``no-op``."""
    incident, actor = redeemed.incident, redeemed.preview.user_handle
    try:
        with session.begin_nested():
            oncall_service.escalate_now(session, incident.id, actor)
    except Conflict as exc:
        return ActionResult(redeemed.preview, "no-op", f"{incident.human_id}: {exc}")
    return ActionResult(
        redeemed.preview, "escalated", f"{incident.human_id}: escalated to the next step"
    )


@router.post("/a/{token}", response_class=HTMLResponse, include_in_schema=False)
def perform_action(
    token: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    action: Annotated[str, Form()],
) -> HTMLResponse:
    """Act as the person the link was sent to; the link is spent."""
    try:
        redeemed = action_links.redeem(session, token, settings, expected=action)
        if redeemed.action is LinkAction.ESCALATE:
            result = _escalate_now(session, redeemed)
        else:
            result = action_links.change_status(session, redeemed)
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _refusal(request, exc)
    except ValueError as exc:  # an ``action`` value that is no action at all
        session.rollback()
        return _refusal(request, link_tokens.WrongPurposeError(str(exc)))
    texts = TEXTS[result.preview.language]
    key = f"outcome_{result.outcome}"
    message = (
        texts[key].format(ref=result.preview.incident_ref, who=result.preview.user_handle)
        if key in texts
        else result.message
    )
    return _page(
        request,
        result.preview.language,
        200,
        heading=texts["done"],
        preview=result.preview,
        message=message,
    )


class DeliveryOut(BaseModel):
    id: int
    kind: str
    incident_id: int | None
    incident_ref: str
    user_id: int | None
    contact_method_id: int | None
    channel: str
    step: str
    urgency: str
    subject: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    idempotency_key: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: Delivery) -> DeliveryOut:
        return cls.model_validate(row, from_attributes=True)


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
    depth: dict[str, int]


@router.get("/api/v1/deliveries", tags=["notifications"])
def list_deliveries(
    session: SessionDep,
    _admin: Admin,
    state: str | None = None,
    incident_id: IdFilter = None,
    limit: int = 100,
) -> DeliveryList:
    """The outbox (newest first), e.g. ``?state=dead`` for the dead-letter queue."""
    rows = outbox_admin.list_deliveries(session, state=state, incident_id=incident_id, limit=limit)
    return DeliveryList(
        items=[DeliveryOut.of(r) for r in rows], depth=outbox_admin.depth_by_state(session)
    )


@router.post("/api/v1/deliveries/{delivery_id}/retry", tags=["notifications"])
def retry_delivery(delivery_id: Id, session: SessionDep, who: Manager) -> DeliveryOut:
    """Give a dead (or backing-off) delivery a fresh attempt budget, due now; needs manager on
    the paged incident's team; audited."""
    who.require(Need.MANAGE, outbox_admin.team_of(session, outbox_admin.get(session, delivery_id)))
    row = outbox_admin.retry_delivery(session, delivery_id, actor=who.audit_actor)
    out = DeliveryOut.of(row)
    session.commit()
    return out


class OutboxCollector(Collector):
    """``plantao_notify_outbox{state}``: outbox depth read at scrape time (never stale)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "plantao_notify_outbox", "Notification outbox rows by state", labels=["state"]
        )
        try:
            with session_scope(self.factory) as session:
                depth = outbox_admin.depth_by_state(session)
        except Exception:  # a scrape must not fail because the database is away
            return
        for state, value in depth.items():
            family.add_metric([state], value)
        yield family


_outbox_collector: OutboxCollector | None = None


def register_outbox_collector(factory: sessionmaker[Session]) -> None:
    """Register once per process; the newest app's database wins (as for open incidents)."""
    global _outbox_collector
    if _outbox_collector is None:
        _outbox_collector = OutboxCollector(factory)
        REGISTRY.register(_outbox_collector)
    else:
        _outbox_collector.factory = factory
