"""The form of the incident page's status updates card (``templates/incident/updates.html``;
its data is :mod:`plantao.web.update_panel`).

The form works without JavaScript: three next-step rows (action, owner, ETA) and the
resolution fields are always in the page (CSS hides the resolution fields unless "Resolved" is
picked, where the browser can tell); times are typed in the reader's time zone and stored in
UTC. ``POST /incidents/{ref}/status-updates`` is registered before the incident page's
catch-all action route. A refused update renders the page again with what was typed and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.command import updates
from plantao.command.update_schemas import StatusUpdateIn
from plantao.errors import ValidationFailed
from plantao.incidents.models import Incident
from plantao.web import rendering
from plantao.web.i18n import TEXTS
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local_time(raw: str, zone: ZoneInfo, field: str, texts: dict[str, str]) -> str | None:
    """A ``datetime-local`` value typed in ``zone`` as an aware ISO time, or None when empty."""
    text = raw.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(texts["upd_bad_time"].format(field=field)) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).isoformat()


def _problem(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


@router.post("/incidents/{ref}/status-updates", response_model=None)
def post_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    status: Annotated[str, Form()] = "",
    impact: Annotated[str, Form()] = "",
    symptoms: Annotated[str, Form()] = "",
    mitigation: Annotated[str, Form()] = "",
    next_update_at: Annotated[str, Form()] = "",
    step_action: Annotated[list[str] | None, Form()] = None,
    step_owner: Annotated[list[str] | None, Form()] = None,
    step_eta: Annotated[list[str] | None, Form()] = None,
    root_cause: Annotated[str, Form()] = "",
    fix: Annotated[str, Form()] = "",
    monitoring: Annotated[str, Form()] = "",
    postmortem_at: Annotated[str, Form()] = "",
) -> Response:
    """Post a status update from the incident page."""
    texts = TEXTS[rendering.lang(request)]
    actions, owners, etas = step_action or [], step_owner or [], step_eta or []
    typed = {
        "upd_status": status,
        "upd_impact": impact,
        "upd_symptoms": symptoms,
        "upd_mitigation": mitigation,
        "upd_next_update_at": next_update_at,
        "upd_root_cause": root_cause,
        "upd_fix": fix,
        "upd_monitoring": monitoring,
        "upd_postmortem_at": postmortem_at,
    } | {
        f"upd_step_{k}_{n}": v
        for k, vs in (("action", actions), ("owner", owners), ("eta", etas))
        for n, v in enumerate(vs, 1)
    }

    def change(incident: Incident, who: Principal) -> None:
        zone = _zone(who.time_zone)
        steps = [
            {
                "action": action,
                "owner": owners[n] if n < len(owners) and owners[n].strip() else None,
                "eta": _local_time(etas[n] if n < len(etas) else "", zone, "eta", texts),
            }
            for n, action in enumerate(actions)
            if action.strip()
        ]
        body: dict[str, Any] = {
            "status": status,
            "impact": impact,
            "symptoms": symptoms or None,
            "mitigation": mitigation or None,
            "next_steps": steps,
            "next_update_at": _local_time(next_update_at, zone, "next_update_at", texts),
        }
        if status == "resolved":
            body["resolution"] = {
                "root_cause": root_cause,
                "fix": fix,
                "monitoring": monitoring,
                "postmortem_at": _local_time(postmortem_at, zone, "postmortem_at", texts),
            }
        try:
            data = StatusUpdateIn.model_validate(body)
        except ValidationError as exc:
            raise ValidationFailed(texts["upd_bad_input"].format(detail=_problem(exc))) from None
        try:
            updates.post(session, incident, data, actor=who.actor)
        except ValidationFailed as exc:
            raise ValidationFailed(texts["upd_bad_input"].format(detail=exc.detail)) from None

    return change_incident(request, session, csrf, ref, change, post=FormPost("", typed))
