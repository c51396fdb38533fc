"""The corrective-action forms: add one to a postmortem (the panel's form and the suggestions'
one-click buttons, which send ``origin``), and change one (``form=status``: the status and a
won't-do reason, which the action's owner may always send; ``form=edit``: every field, for the
incident's responders). Same use cases and rules as the API; a refused form renders again with
what was typed and why (422/409), a refused permission is the usual error page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from plantao.api.deps import SessionDep
from plantao.api.params import Id
from plantao.auth.roles import Need
from plantao.errors import DomainError, ValidationFailed
from plantao.postmortems import access as pm_access
from plantao.postmortems import actions, suggestions
from plantao.postmortems.action_ids import format_action_id
from plantao.postmortems.action_schemas import ActionIn, ActionPatch
from plantao.web import rendering
from plantao.web.action_pages import render_action, render_panel_page

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=2100)]


def problem(exc: ValidationError) -> str:
    """Pydantic's errors as one sentence naming each field."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _typed_fields(
    title: str,
    owner: str,
    due_date: str,
    kind: str,
    severity: str,
    must_fix: str,
    ticket_url: str,
    measure: str,
    environment: str,
) -> dict[str, str]:
    return {
        "title": title,
        "owner": owner,
        "due_date": due_date,
        "kind": kind,
        "severity": severity,
        "must_fix": must_fix,
        "ticket_url": ticket_url,
        "measure": measure,
        "environment": environment,
    }


def _body(typed: dict[str, str], *, clearing: bool) -> dict[str, Any]:
    """The form as an API body: empty optional fields are left out (adding) or cleared
    (editing); the owner is required when editing leaves it empty only to unassign."""
    body: dict[str, Any] = {"title": typed["title"], "must_fix": typed["must_fix"] == "1"}
    for name in ("owner", "ticket_url", "measure", "environment"):
        value = typed[name].strip()
        if value or clearing:
            body[name] = value or None
    for name in ("due_date", "kind", "severity"):
        if typed[name].strip():
            body[name] = typed[name].strip()
    return body


@router.post("/postmortems/{pm_id}/actions", response_model=None)
def add_action_form(
    pm_id: Id,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    title: Short = "",
    owner: Short = "",
    due_date: Short = "",
    kind: Short = "quick_fix",
    severity: Short = "",
    must_fix: Short = "",
    ticket_url: Short = "",
    measure: Text = "",
    environment: Short = "",
    origin: Short = "",
) -> Response:
    """Add an action (or a suggested follow-up) to the postmortem."""
    who = rendering.writer(request, session, csrf, Need.RESPOND)
    if isinstance(who, Response):
        return who
    typed = _typed_fields(
        title, owner, due_date, kind, severity, must_fix, ticket_url, measure, environment
    )
    pm, incident = pm_access.to_act(session, pm_id, who)
    try:
        try:
            data = ActionIn.model_validate(
                _body(typed, clearing=False) | ({"origin": origin} if origin else {})
            )
        except ValidationError as exc:
            raise ValidationFailed(problem(exc)) from None
        if data.origin is not None and suggestions.find(session, incident, data.origin) is None:
            raise ValidationFailed(f"origin: '{data.origin}' is not a suggestion")
        row = actions.create(
            session, pm, incident, data, actor=who.actor, audit_actor=who.audit_actor
        )
    except DomainError as exc:
        session.rollback()
        return render_panel_page(
            request, session, who, pm_id, form=typed, error=exc.detail, status_code=exc.status
        )
    ref = format_action_id(row.id)
    session.commit()
    return RedirectResponse(f"/postmortems/{pm_id}?action={ref}#actions", status_code=303)


_BACK = {"pm": "/postmortems/{pm}#actions", "list": "/actions", "action": "/actions/{ref}?saved=1"}


@router.post("/actions/{action_ref}", response_model=None)
def change_action_form(
    action_ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    form: Short = "status",
    back: Short = "action",
    status: Short = "",
    reason: Text = "",
    title: Short = "",
    owner: Short = "",
    due_date: Short = "",
    kind: Short = "",
    severity: Short = "",
    must_fix: Short = "",
    ticket_url: Short = "",
    measure: Text = "",
    environment: Short = "",
) -> Response:
    """Change an action's status (its owner or a responder) or its fields (a responder)."""
    who = rendering.current(request, session)
    if who is None:
        return rendering.to_login(request)
    rendering.check_csrf(request, csrf)
    ref = action_ref[:40]
    if form == "edit":
        typed = {"form": "edit"} | _typed_fields(
            title, owner, due_date, kind, severity, must_fix, ticket_url, measure, environment
        )
        body = _body(typed, clearing=True)
    else:
        typed = {"form": "status", "status": status, "reason": reason}
        body = {"status": status} | ({"reason": reason} if reason.strip() else {})
    try:
        data = ActionPatch.model_validate(body)
    except ValidationError as exc:
        actions.get_to_read(session, ref, who)  # a hidden action stays not found
        return render_action(
            request, session, who, ref, typed=typed, error=problem(exc), status_code=422
        )
    row, incident = actions.get_to_change(session, ref, who, data)
    try:
        actions.update(session, row, incident, data, actor=who.actor, audit_actor=who.audit_actor)
    except DomainError as exc:
        session.rollback()
        return render_action(
            request, session, who, ref, typed=typed, error=exc.detail, status_code=exc.status
        )
    target = _BACK.get(back, _BACK["action"]).format(
        pm=row.postmortem_id, ref=format_action_id(row.id)
    )
    session.commit()
    return RedirectResponse(target, status_code=303)
