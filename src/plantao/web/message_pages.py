"""The incident's Messages card and its preview page: any message template rendered from the
incident's real data, in a chosen language and time zone, laid out to copy.

Works without JavaScript: the card is a GET form to ``/incidents/{ref}/messages/preview``,
which renders the page with the subject and text in ``<pre>`` blocks (``static/copy.js`` adds
copy buttons). The facts are the ones the engine's fan-out renders from
(``plantao.engine.incident_facts``) with the operator's overrides, so the preview is what a
stakeholder would read. Nothing is sent or stored; reading the incident is enough.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from plantao.api.deps import SessionDep
from plantao.comms import overrides
from plantao.comms import render as comms_render
from plantao.comms.facts import DataLoss, EscalationAsk
from plantao.engine import incident_facts
from plantao.errors import ValidationFailed
from plantao.incidents import access as incident_access
from plantao.web import admin_common, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

#: Fields the preview form takes, and the longest value kept of each.
FIELDS = {
    "help_needed": 2000,
    "if_no_answer": 1000,
    "answer_within": 4,
    "backup_at": 32,
    "lost_from": 32,
    "lost_until": 32,
    "scope": 200,
}


def card() -> dict[str, Any]:
    """What the incident page's Messages card offers (``incident/messages.html``)."""
    return {"names": comms_render.TEMPLATE_NAMES, "languages": comms_render.LANGUAGES}


def _local_time(value: str, zone: str, label: str, texts: dict[str, str]) -> datetime:
    """A ``datetime-local`` value, read in the preview's time zone, as UTC."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(texts["com_bad_time"].format(field=label)) from None
    return naive.replace(tzinfo=comms_render.zone(zone)).astimezone(UTC)


def _asks(
    typed: dict[str, str], zone: str, texts: dict[str, str]
) -> tuple[EscalationAsk | None, DataLoss | None]:
    escalation = None
    if typed["help_needed"]:
        minutes = typed["answer_within"]
        escalation = EscalationAsk(
            typed["help_needed"],
            typed["if_no_answer"] or None,
            int(minutes) if minutes.isdigit() and 0 < int(minutes) <= 1440 else None,
        )
    loss = None
    if typed["backup_at"] and typed["lost_from"] and typed["lost_until"]:
        loss = DataLoss(
            _local_time(typed["backup_at"], zone, texts["com_backup_at"], texts),
            _local_time(typed["lost_from"], zone, texts["com_lost_from"], texts),
            _local_time(typed["lost_until"], zone, texts["com_lost_until"], texts),
            typed["scope"] or None,
        )
    return escalation, loss


@router.get("/incidents/{ref}/messages/preview", response_class=HTMLResponse, response_model=None)
def preview_page(
    ref: str,
    request: Request,
    session: SessionDep,
    template: str = "status_update",
    language: str = "",
    time_zone: str = "",
) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    incident = incident_access.get_to_read(session, ref, principal)
    comms_render.check_name(template)
    page_lang = rendering.lang(request)
    texts = TEXTS[page_lang]
    lang = comms_render.language_for(language or page_lang)
    zone = (time_zone or principal.time_zone or "UTC").strip()[:64]
    typed = {k: request.query_params.get(k, "").strip()[:size] for k, size in FIELDS.items()}
    rendered, error = None, None
    try:
        escalation, loss = _asks(typed, zone, texts)
        facts = incident_facts.facts_for(session, incident, request.app.state.settings)
        facts = replace(facts, escalation=escalation, data_loss=loss)
        rendered = overrides.render_for(
            session,
            template,
            lang,
            facts,
            zone,
            template_dir=request.app.state.settings.notify_template_dir,
        )
    except ValidationFailed as exc:
        error = exc.detail
    return rendering.render(
        request,
        "incident/message_preview.html",
        principal,
        status_code=422 if error else 200,
        ref=incident.human_id,
        incident_title=incident.title,
        messages=card(),
        template=template,
        language=lang,
        time_zone=zone,
        typed=typed,
        rendered=rendered,
        error=error,
    )
