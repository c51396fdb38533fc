"""The forms of the incident's setup and close checklists, and the close button that honours
the close checklist.

``POST /incidents/{ref}/close`` is registered before the incident page's catch-all action
route, so every close from the browser (the summary's button, the close card with its reason)
goes through :func:`plantao.command.checklists.close`: with close items unchecked and no reason
the page comes back (409) naming them in the reader's language, and nothing changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.command import checklist_items, checklists
from plantao.errors import Conflict, ValidationFailed
from plantao.incidents.models import Incident
from plantao.web import rendering
from plantao.web.i18n import TEXTS
from plantao.web.incident_pages import FormPost, change_incident

router = APIRouter(include_in_schema=False)


@router.post("/incidents/{ref}/command-checklists/{checklist}/{item}", response_model=None)
def tick_form(
    ref: str,
    checklist: str,
    item: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    done: Annotated[str, Form()] = "1",
    value: Annotated[str, Form()] = "",
) -> Response:
    """Tick (``done=1``) or untick (``done=0``) one item."""
    texts = TEXTS[rendering.lang(request)]

    def change(incident: Incident, who: Principal) -> None:
        try:
            checklists.tick(
                session,
                incident,
                checklist,
                item,
                done=done != "0",
                value=value or None,
                actor=who.actor,
            )
        except ValidationFailed as exc:
            raise ValidationFailed(texts["chk_bad_value"].format(detail=exc.detail)) from None

    return change_incident(request, session, csrf, ref, change, post=FormPost("", {"value": value}))


@router.post("/incidents/{ref}/close", response_model=None)
def close_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    """Close the incident; refused with the unchecked items named when there is no reason."""
    texts = TEXTS[rendering.lang(request)]
    lang = rendering.lang(request)

    def change(incident: Incident, who: Principal) -> None:
        try:
            checklists.close(session, incident, actor=who.actor, reason=reason or None)
        except checklists.UncheckedItems as exc:
            labels = []
            for error in exc.errors:
                found = checklist_items.find(checklist_items.CLOSE, error.get("item", ""))
                labels.append(found.label(lang) if found else error.get("item", ""))
            raise Conflict(texts["chk_refused"].format(items="; ".join(labels))) from None

    return change_incident(
        request,
        session,
        csrf,
        ref,
        change,
        post=FormPost("close", {"reason": reason} if reason else {}, pending),
    )
