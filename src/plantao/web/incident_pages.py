"""The incident page, its live partials, and the forms that act on an incident.

The page answers the 3 a.m. questions in order: what is burning (summary), who is on it
(``plantao.web.whos_on_it``), what the alerts say (``plantao.web.alert_words``), what to do
(runbooks, checklists), what changed (timeline, in the reader's language). It works without
JavaScript: every form posts and redirects back. ``static/incident.js`` adds the live part:
when the live stream (``/live/incidents``) reports a change to this incident it fetches
``/incidents/{ref}/partial/live`` and swaps the sections that changed.

Errors on this page's forms are the page itself, not JSON: a stale tab's 409 shows the incident
as it is now with "already acknowledged by ana at 03:12"; a validation error (422) shows what
was typed again; an expired session keeps the form (action and fields, never the CSRF token) in
the signed cookie, sends the browser to log in and back, and asks once more before sending it
(``FormPost`` and :func:`change_incident`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.api import incident_presenter as presenter
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.auth.roles import Need
from plantao.changes import service as change_service
from plantao.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from plantao.incidents import access as incident_access
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action, Status
from plantao.incidents.models import Incident
from plantao.oncall import snooze as oncall_snooze
from plantao.people import directory
from plantao.runbooks import checklists as runbook_checklists
from plantao.runbooks import linking as runbook_linking
from plantao.runbooks import triage
from plantao.web import (
    alert_words,
    change_rollbacks,
    checklist_view,
    error_pages,
    incident_stakeholders,
    incident_timeline,
    message_pages,
    postmortem_card,
    rendering,
    responder_panel,
    role_card,
    similar_card,
    status_panel,
    update_panel,
    whos_on_it,
)
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

#: Alerts shown on the page (firing first, newest first); the API has all of them.
ALERTS_SHOWN = 50
#: Timeline entries shown by default (the newest); ``?timeline=all`` shows every one.
TIMELINE_SHOWN = 500
SNOOZE_OPTIONS = (5, 15, 30, 60, 120, 240, 480, 1440)
SILENCE_HOURS = (1, 2, 4, 8, 24, 72)
#: A pending form larger than this is not kept in the cookie (browsers refuse cookies over
#: 4 KiB): the person is shown what they typed instead, to copy.
PENDING_MAX_BYTES = 2400
SECTIONS = {
    "summary": "incident/summary.html",
    "oncall": "incident/oncall.html",
    "responders": "incident/responders.html",
    "alerts": "incident/alerts.html",
    "runbooks": "incident/runbooks.html",
    "timeline": "incident/timeline.html",
    "live": "incident/live.html",
}


@dataclass(frozen=True)
class FormPost:
    """What a form posted besides its CSRF token: ``label`` names the action (text key
    ``inc_pending_<label>``), ``fields`` are kept when it fails or the session expired, and
    ``pending`` is the id of the kept action it re-sends after a new login."""

    label: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    pending: str = ""


def _people(session: Session) -> list[tuple[str, str]]:
    return [
        (u.handle, u.name)
        for u in directory.list_users(session, kind="user")
        if u.disabled_at is None
    ]


def _due(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def page_context(
    request: Request,
    session: Session,
    principal: Principal,
    incident: Incident,
    *,
    all_timeline: bool = False,
) -> dict[str, Any]:
    """Everything the page and its partials render. Rendered again on every live update, so it
    reads what it shows (the newest timeline entries, one entry for the risk posture) rather
    than the whole incident as the API's detail does."""
    summary = presenter.summaries(session, [incident])[0]
    texts = TEXTS[rendering.lang(request)]
    local = incident_timeline.local_formatter(principal.time_zone)
    entries, total = incident_timeline.recent(
        session, incident.id, None if all_timeline else TIMELINE_SHOWN
    )
    alerts = sorted(
        alert_service.alerts_for_incident(session, incident.id),
        key=lambda a: (a.status != "firing", -a.last_seen_at.timestamp(), a.id),
    )
    words = [alert_words.words(a) for a in alerts[:ALERTS_SHOWN]]
    firing = [a.labels for a in alerts if a.status == "firing"]
    can_write = incident_access.allowed(session, principal, incident)
    return {
        "i": summary,
        "changes": change_service.recent_for_service(
            session, incident.service_id, before=incident.detected_at
        ),
        "who": whos_on_it.assemble(session, incident, clock.now()),
        "rsp": responder_panel.panel(session, principal, incident, can_write),
        "can_write": can_write,
        "can_manage": can_write
        and incident_access.allowed(session, principal, incident, Need.MANAGE),
        "words": words,
        "alert_total": len(alerts),
        "any_images": any(w.images for w in words),
        "timeline": [(e, incident_timeline.describe(e, texts, local)) for e in entries],
        "timeline_total": total,
        "local": local,
        "resolve_due": _due(summary.targets.get("resolve_due_at")),
        "note_max": incident_service.NOTE_MAX,
        "typed": {},
        "banner": None,
        "pending": None,
        "silence_matchers": alert_words.matcher_lines(
            alert_words.common_labels(firing or [a.labels for a in alerts])
        ),
        "snooze_options": SNOOZE_OPTIONS,
        "silence_options": SILENCE_HOURS,
        "people": _people(session) if can_write else [],
        "runbooks": runbook_linking.incident_runbooks(session, incident.id),
        "checklists": runbook_checklists.checklists(session, incident.id),
        "risk": incident_timeline.latest_risk(session, incident.id),
        "triage": triage.triage_checklist(rendering.lang(request)),
        "messages": message_pages.card(),
        **role_card.roles_context(session, incident, can_write),
        "command_checklists": checklist_view.assemble(session, incident, rendering.lang(request)),
        **incident_stakeholders.panel(session, incident),
        "change_lines": change_rollbacks.assemble(
            request.app.state.settings, session, incident, rendering.lang(request)
        ),
        **update_panel.panel(session, principal, incident),
        **postmortem_card.card(session, principal, incident),
        **status_panel.panel(session, principal, incident, request.app.state.settings.base_url),
    }


# --- the page and its partials ---------------------------------------------------------------


@router.get("/incidents/{ref}", response_class=HTMLResponse, response_model=None)
def incident_page(ref: str, request: Request, session: SessionDep, timeline: str = "") -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    incident = incident_access.get_to_read(session, ref, principal)
    context = page_context(request, session, principal, incident, all_timeline=timeline == "all")
    context["pending"] = _pending_for(request, incident)
    context.update(similar_card.card(session, principal, incident, TEXTS[rendering.lang(request)]))
    if request.query_params.get("discarded") == "1":
        context["banner"] = {"kind": "discarded"}
    return rendering.render(request, "incident.html", principal, **context)


@router.get("/incidents/{ref}/partial/{section}", response_class=HTMLResponse, response_model=None)
def incident_partial(ref: str, section: str, request: Request, session: SessionDep) -> Response:
    """Only the page's changing sections (``live``: all of them), for the live update."""
    principal = rendering.current(request, session)
    if principal is None:
        return Response(status_code=401, headers={"cache-control": "no-store"})
    template = SECTIONS.get(section)
    if template is None:
        raise NotFound(f"no section '{section}' on the incident page")
    incident = incident_access.get_to_read(session, ref, principal)
    context = page_context(request, session, principal, incident)
    answer = rendering.render(request, template, principal, **context)
    answer.headers["cache-control"] = "no-store"
    return answer


# --- forms -----------------------------------------------------------------------------------


def change_incident(
    request: Request,
    session: Session,
    csrf: str,
    ref: str,
    change: Callable[[Incident, Principal], object],
    *,
    post: FormPost | None = None,
    need: Need = Need.RESPOND,
) -> Response:
    """Every incident form: check session, CSRF and role, lock the incident, apply, commit,
    and send the browser back to the incident page (post/redirect/get). A refusal renders the
    page with a banner and the typed fields, with the error's status."""
    post = post or FormPost()
    principal = rendering.current(request, session)
    if principal is None:
        return _park(request, ref, csrf, post)
    try:
        rendering.check_csrf(request, csrf)
    except rendering.CsrfFailed as exc:
        return _refused(request, session, principal, ref, exc, post, kind="csrf")
    if post.pending and not _take_pending(request, post.pending):
        return _refused(request, session, principal, ref, None, post, kind="pending_gone")
    try:
        # No coarse role check first: someone added to this incident as a responder may act on
        # it whatever their role elsewhere, which only the incident's own check knows.
        incident = incident_access.get_to_act(session, ref, principal, need)
        change(incident, principal)
        session.commit()
    except (Conflict, ValidationFailed, PermissionDenied) as exc:
        session.rollback()
        return _refused(request, session, principal, ref, exc, post)
    return RedirectResponse(f"/incidents/{incident.human_id}", status_code=303)


def _refused(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    exc: DomainError | None,
    post: FormPost,
    *,
    kind: str | None = None,
) -> Response:
    """The incident page as it is now, saying why nothing changed, with what was typed."""
    incident = incident_access.get_to_read(session, ref, principal)
    context = page_context(request, session, principal, incident)
    status = exc.status if exc is not None else 409
    texts = TEXTS[rendering.lang(request)]
    banner: dict[str, Any] = {"kind": kind, "detail": _words(exc.detail, texts) if exc else None}
    if kind is None:
        banner["kind"] = {409: "conflict", 422: "invalid", 403: "denied"}.get(status, "conflict")
    if isinstance(exc, InvalidTransition):
        banner |= _already(session, incident)
    context |= {"banner": banner, "typed": post.fields, "pending": _pending_for(request, incident)}
    return rendering.render(request, "incident.html", principal, status_code=status, **context)


#: Server messages this page's forms meet, worded in the reader's language (``inc_err_*``);
#: the ones every page meets (roles, lifecycle) are ``error_pages.word``'s.
_MESSAGES = (
    (re.compile(r"^the note is longer than (\d+) characters$"), "inc_err_note_long"),
    (re.compile(r"^the note is empty$"), "inc_err_note_empty"),
    (re.compile(r"^\S+ is (\w+); only an acknowledged incident can be snoozed$"), "inc_err_snooze"),
    (re.compile(r"^\S+'s service has no escalation policy$"), "inc_err_no_policy"),
    (re.compile(r"^\S+'s escalation policy is exhausted$"), "inc_err_exhausted"),
    (re.compile(r"^\S+ is (\w+); reopen it to escalate$"), "inc_err_escalate_closed"),
)


def _words(detail: str, texts: dict[str, str]) -> str:
    for pattern, key in _MESSAGES:
        found = pattern.match(detail)
        if found:
            statuses = {status.value for status in Status}
            values = [texts[v].lower() if v in statuses else v for v in found.groups()]
            return texts[key].format(*values)
    return error_pages.word(detail, texts)


def _already(session: Session, incident: Incident) -> dict[str, Any]:
    """Who moved the incident to the state it is in, and when: the stale tab's answer."""
    kinds = [f"incident.{incident.status.value}"]
    if incident.status is Status.TRIGGERED:
        kinds.append(oncall_snooze.ENDED)
    entry = incident_timeline.last_of(session, incident.id, kinds)
    return {
        "status": incident.status.value,
        "actor": entry.actor if entry else None,
        "at": entry.at if entry else None,
    }


# --- an action posted after the session expired ------------------------------------------


def _park(request: Request, ref: str, csrf: str, post: FormPost) -> Response:
    """Keep the form for after the next login, and go there. Only a form carrying this
    browser's own CSRF token is kept (a cross-site post is never offered to be re-sent)."""
    target = f"/incidents/{quote(ref, safe='')}"
    expected = request.session.get("csrf")
    same_browser = isinstance(expected, str) and secrets.compare_digest(expected, csrf)
    if post.label and same_browser:
        pending = {
            "id": secrets.token_urlsafe(9),
            "ref": ref,
            "action": request.url.path,
            "label": post.label,
            "fields": post.fields,
        }
        if len(orjson.dumps(pending)) > PENDING_MAX_BYTES:
            return rendering.render(
                request,
                "incident/expired.html",
                None,
                status_code=401,
                fields=post.fields,
                login=f"/login?next={quote(target)}",
            )
        request.session["pending"] = pending
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


def _pending_for(request: Request, incident: Incident) -> dict[str, Any] | None:
    """The action kept for this incident across a login, as the page offers to re-send it."""
    pending = request.session.get("pending")
    if not isinstance(pending, dict):
        return None
    ref = str(pending.get("ref", "")).upper()
    action = str(pending.get("action", ""))
    if ref not in (incident.human_id.upper(), str(incident.id)) or not action.startswith(
        "/incidents/"
    ):
        return None
    texts = TEXTS[rendering.lang(request)]
    fields = {str(k): str(v) for k, v in dict(pending.get("fields") or {}).items()}
    return {
        "id": str(pending.get("id", "")),
        "action": action,
        "label": texts.get(f"inc_pending_{pending.get('label')}", action),
        "fields": fields,
        "preview": " · ".join(v for v in fields.values() if v)[:400],
    }


def _take_pending(request: Request, pending_id: str) -> bool:
    """Forget the kept action ``pending_id``; False when it is not (or no longer) kept, so a
    second click of "Send it now" never sends it twice."""
    stored = request.session.get("pending")
    if isinstance(stored, dict) and secrets.compare_digest(str(stored.get("id", "")), pending_id):
        request.session.pop("pending", None)
        return True
    return False


@router.post("/incidents/{ref}/pending/discard", response_model=None)
def discard_pending(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    rendering.check_csrf(request, csrf)
    _take_pending(request, pending)
    return RedirectResponse(f"/incidents/{quote(ref, safe='')}?discarded=1", status_code=303)


@router.post("/incidents/{ref}/notes", response_model=None)
def note_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "fact",
    pending: Annotated[str, Form()] = "",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.add_note(
            session, inc, actor=who.actor, text=text, kind=kind
        ),
        post=FormPost("note", {"kind": kind, "text": text}, pending),
    )


@router.post("/incidents/{ref}/severity", response_model=None)
def severity_form(
    ref: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    severity: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    pending: Annotated[str, Form()] = "",
) -> Response:
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.change_severity(
            session, inc, actor=who.actor, new=severity, reason=reason or None
        ),
        post=FormPost("severity", {"severity": severity, "reason": reason}, pending),
    )


@router.post("/incidents/{ref}/{action}", response_model=None)
def action_form(
    ref: str,
    action: str,
    request: Request,
    session: SessionDep,
    csrf: Annotated[str, Form()],
    pending: Annotated[str, Form()] = "",
) -> Response:
    try:
        verb = Action(action)
    except ValueError:
        raise NotFound(f"unknown action '{action}'") from None
    return change_incident(
        request,
        session,
        csrf,
        ref,
        lambda inc, who: incident_service.act(session, inc, verb, actor=who.actor),
        post=FormPost(verb.value, {}, pending),
    )
