"""Corrective actions (seed 002 action tracking): created on a postmortem, changed, listed.

An action names what will be done (title), who does it (owner), by when (due date), how bad
the incident was (severity), what kind of fix it is (seed 001: quick fix, hardening,
prevention; ``follow_up`` for the Learn step's reviews), whether releases wait for it
(``must_fix``, read by the release gate), where it is tracked (an external ticket URL) and how
prevention will be measured. Its id is ``AC-<row id>`` (:mod:`plantao.postmortems.action_ids`).

Every change lands on the incident's timeline and in the audit log (the gate reads actions
across incidents, so who changed a must-fix action is answered without the incident), and
re-arms the due-date reminders (:mod:`plantao.postmortems.reminding`) when the due date, the
owner or the status changed. Entry points own the transaction: these functions only flush.

Who may do what: responders of the incident's team (or added to it) create and edit; the
action's owner may always change its status; a private incident's actions exist only for who
may see the incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.auth.principal import Principal
from plantao.auth.roles import WRITING
from plantao.catalog.models import Service
from plantao.config import get_settings
from plantao.errors import NotFound, ValidationFailed
from plantao.incidents import access, visibility
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.people import audit, directory
from plantao.people.actor import AuditActor
from plantao.people.models import User
from plantao.postmortems import action_rules, reminding
from plantao.postmortems.action_ids import format_action_id, parse_action_id
from plantao.postmortems.action_schemas import ActionIn, ActionPatch
from plantao.postmortems.models import CorrectiveAction, Postmortem

MAX_ID = 2**31 - 1
LIST_LIMIT = 500
#: Changes that move the due-date reminders.
_REARM = frozenset({"due_date", "owner", "status"})


def _fail(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", errors=[{"field": field, "message": message}])


def today() -> date:
    return clock.now().date()


def get(session: Session, ref: str, *, for_update: bool = False) -> CorrectiveAction:
    """``AC-07``, ``ac-7`` or ``7``; anything else, or no such action, is not found."""
    try:
        number = parse_action_id(ref)
    except ValueError as exc:
        raise NotFound(str(exc)) from None
    missing = NotFound(f"action '{str(ref).strip()[:40]}' does not exist")
    if number > MAX_ID:
        raise missing
    stmt = select(CorrectiveAction).where(CorrectiveAction.id == number)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise missing
    return row


def get_to_read(session: Session, ref: str, who: Principal) -> tuple[CorrectiveAction, Incident]:
    """The action and its incident, once ``who`` may see the incident (a private incident's
    action is not found, with the same words as one that does not exist)."""
    row = get(session, ref)
    incident = session.get(Incident, row.incident_id)
    if incident is None or not access.may_see(session, who, incident):
        raise NotFound(f"action '{str(ref).strip()[:40]}' does not exist")
    return row, incident


def get_to_change(
    session: Session, ref: str, who: Principal, data: ActionPatch
) -> tuple[CorrectiveAction, Incident]:
    """The action locked for update, once ``who`` may make this change: a responder of the
    incident, or the action's owner changing only its status."""
    _, incident = get_to_read(session, ref, who)
    row = get(session, ref, for_update=True)
    if data.status_only() and row.owner_user_id == who.user_id:
        who.access.require_scope(WRITING, "changing an action's status")
    else:
        access.require(session, who, incident)
    return row, incident


def _user(session: Session, handle: str) -> User:
    user = directory.by_handle(session, handle.strip().lstrip("@"))
    if user is None:
        raise _fail("owner", f"no person with the handle '{handle[:64]}'")
    if user.disabled_at is not None:
        raise _fail("owner", f"'{user.handle}' is disabled")
    return user


def _service(session: Session, slug: str) -> Service:
    found = session.scalar(select(Service).where(Service.slug == slug.strip().lower()))
    if found is None:
        raise _fail("service", f"no service with the slug '{slug[:64]}'")
    return found


def _check_due(incident: Incident, due: date) -> None:
    detected = incident.detected_at.date()
    if due < detected:
        raise _fail("due_date", f"must be on or after the incident's detection day ({detected})")


def shown(row: CorrectiveAction, names: Names, base_url: str) -> dict[str, Any]:
    """The action as the API, web UI and CLI show it; ``url`` is its page."""
    ref = format_action_id(row.id)
    return {
        "id": ref,
        "postmortem": row.postmortem_id,
        "incident": names.incidents.get(row.incident_id, ""),
        "service": names.services.get(row.service_id, ""),
        "environment": row.environment,
        "title": row.title,
        "owner": names.users.get(row.owner_user_id) if row.owner_user_id else None,
        "due_date": row.due_date,
        "severity": row.severity,
        "kind": row.kind,
        "must_fix": row.must_fix,
        "status": row.status,
        "reason": row.reason,
        "ticket_url": row.ticket_url,
        "measure": row.measure,
        "origin": row.origin,
        "overdue": action_rules.is_overdue(row.status, row.due_date, today()),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "done_at": row.done_at,
        "url": f"{base_url.rstrip('/')}/actions/{ref}",
    }


@dataclass(frozen=True)
class Names:
    """The human names rows point at by id, read once for a whole list."""

    incidents: dict[int, str]
    services: dict[int, str]
    users: dict[int, str]


def names_for(session: Session, rows: Sequence[CorrectiveAction]) -> Names:
    def lookup(column: Any, key: Any, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        return dict(session.execute(select(key, column).where(key.in_(wanted))).tuples().all())

    return Names(
        incidents=lookup(Incident.human_id, Incident.id, (r.incident_id for r in rows)),
        services=lookup(Service.slug, Service.id, (r.service_id for r in rows)),
        users=lookup(User.handle, User.id, (r.owner_user_id for r in rows)),
    )


def describe(
    session: Session, rows: Sequence[CorrectiveAction], base_url: str | None = None
) -> list[dict[str, Any]]:
    names = names_for(session, rows)
    base = get_settings().base_url if base_url is None else base_url
    return [shown(r, names, base) for r in rows]


def _note(
    session: Session, incident: Incident, kind: str, actor: str, text: str, data: dict[str, Any]
) -> None:
    item = incident_service.TimelineItem(kind, actor, text[:2000], data)
    incident_service.append(session, incident.id, [item], at=clock.now())


def _snapshot(row: CorrectiveAction) -> dict[str, Any]:
    return {
        "title": row.title,
        "owner_user_id": row.owner_user_id,
        "due_date": row.due_date,
        "severity": row.severity,
        "kind": row.kind,
        "must_fix": row.must_fix,
        "status": row.status,
        "reason": row.reason,
        "ticket_url": _link_shown(row.ticket_url),
        "measure": row.measure,
        "environment": row.environment,
        "service_id": row.service_id,
    }


def _link_shown(url: str | None) -> str | None:
    """A ticket link as the timeline and the audit log keep it: without its query and fragment,
    where a pasted link may carry a session or signature."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def create(
    session: Session,
    postmortem: Postmortem,
    incident: Incident,
    data: ActionIn,
    *,
    actor: str,
    audit_actor: AuditActor | None = None,
) -> CorrectiveAction:
    """A new open action on ``postmortem`` (the caller checked ``actor`` may act on
    ``incident``). The owner defaults to the author, the severity and service to the
    incident's, the due date to a few days ahead by kind."""
    owner = _user(session, data.owner or actor)
    service_id = incident.service_id if data.service is None else _service(session, data.service).id
    due = data.due_date or action_rules.default_due(data.kind, today())
    _check_due(incident, due)
    now = clock.now()
    row = CorrectiveAction(
        postmortem_id=postmortem.id,
        incident_id=incident.id,
        service_id=service_id,
        environment=data.environment,
        title=data.title,
        owner_user_id=owner.id,
        due_date=due,
        severity=data.severity or incident.severity,
        kind=data.kind,
        must_fix=data.must_fix,
        status="open",
        reason=None,
        ticket_url=data.ticket_url,
        measure=data.measure or None,
        origin=data.origin or None,
        created_by=actor[:200],
        created_at=now,
        updated_at=now,
        done_at=None,
        reminder_token=0,
    )
    session.add(row)
    session.flush()
    ref = format_action_id(row.id)
    flag = " (must fix)" if row.must_fix else ""
    _note(
        session,
        incident,
        "action.created",
        actor,
        f"{actor} added corrective action {ref}{flag}: {row.title} — {owner.handle}, due {due}",
        {
            "action": ref,
            "title": row.title,
            "owner": owner.handle,
            "due_date": due.isoformat(),
            "kind": row.kind,
            "must_fix": row.must_fix,
        },
    )
    if audit_actor is not None:
        audit.record(
            session, audit_actor, "action.create", "corrective_action", ref, after=_snapshot(row)
        )
    reminding.arm_action(session, row)
    session.flush()
    return row


def _apply(
    session: Session, row: CorrectiveAction, incident: Incident, name: str, value: Any
) -> Any:
    """Set one field; returns what the timeline shows for it."""
    if name == "owner":
        user = None if value is None else _user(session, value)
        row.owner_user_id = None if user is None else user.id
        return None if user is None else user.handle
    if name == "service":
        row.service_id = _service(session, value).id
        return value
    if name == "due_date":
        _check_due(incident, value)
    if name in ("measure", "ticket_url", "reason", "environment") and value == "":
        value = None
    setattr(row, name, value)
    if name == "ticket_url":
        return _link_shown(value)
    if name == "measure":
        return "changed" if value else "cleared"
    return value.isoformat() if isinstance(value, date) else value


def update(
    session: Session,
    row: CorrectiveAction,
    incident: Incident,
    data: ActionPatch,
    *,
    actor: str,
    audit_actor: AuditActor | None = None,
) -> CorrectiveAction:
    """Change the fields sent (the caller checked ``actor`` may). A status change follows
    :func:`action_rules.check_transition`; ``done`` stamps ``done_at``, reopening clears it
    and the reason."""
    changes = data.changes()
    before = _snapshot(row)
    status = changes.pop("status", None)
    reason = changes.pop("reason", row.reason if status is None else None)
    if status is not None:
        action_rules.check_transition(row.status, status, reason)
    shown_changes: dict[str, Any] = {}
    for name, value in changes.items():
        shown_changes[name] = _apply(session, row, incident, name, value)
    if status is not None and status != row.status:
        row.status = status
        row.done_at = clock.now() if status == "done" else None
        shown_changes["status"] = status
    if status is not None:
        row.reason = (reason or None) if status == "wont_do" else None
    elif "reason" in data.model_fields_set and row.status == "wont_do":
        if not (data.reason or "").strip():
            raise _fail("reason", "a wont_do action keeps its reason")
        row.reason = data.reason
        shown_changes["reason"] = data.reason
    after = _snapshot(row)
    if after == before:
        return row
    row.updated_at = clock.now()
    session.flush()
    ref = format_action_id(row.id)
    words = ", ".join(f"{k} → {v}" for k, v in shown_changes.items() if k != "reason")
    if row.status == "wont_do" and "status" in shown_changes:
        words += f" ({row.reason})"
    _note(
        session,
        incident,
        "action.changed",
        actor,
        f"{actor} changed corrective action {ref}: {words or 'details'}",
        {"action": ref, "changes": dict(shown_changes.items())},
    )
    if audit_actor is not None:
        audit.record(
            session,
            audit_actor,
            "action.update",
            "corrective_action",
            ref,
            before=before,
            after=after,
        )
    if _REARM & set(shown_changes):
        reminding.arm_action(session, row)
    session.flush()
    return row


def for_postmortem(session: Session, postmortem_id: int) -> list[CorrectiveAction]:
    return list(
        session.scalars(
            select(CorrectiveAction)
            .where(CorrectiveAction.postmortem_id == postmortem_id)
            .order_by(CorrectiveAction.id)
        )
    )


@dataclass(frozen=True)
class ActionFilter:
    """What ``GET /api/v1/actions``, the ``/actions`` page and ``plantao actions list`` filter
    on; ``overdue`` keeps open actions whose due day has passed (UTC)."""

    status: str | None = None
    owner: str | None = None
    service: str | None = None
    must_fix: bool | None = None
    overdue: bool = False
    open_only: bool = False


def _filtered(
    session: Session, filt: ActionFilter, who: Principal
) -> Select[tuple[CorrectiveAction]]:
    stmt = (
        select(CorrectiveAction)
        .join(Incident, Incident.id == CorrectiveAction.incident_id)
        .where(visibility.visible_clause(who.user_id, who.is_admin))
    )
    if filt.status is not None:
        stmt = stmt.where(CorrectiveAction.status == filt.status)
    if filt.open_only or filt.overdue:
        stmt = stmt.where(CorrectiveAction.status.in_(action_rules.OPEN))
    if filt.overdue:
        stmt = stmt.where(CorrectiveAction.due_date < today())
    if filt.must_fix is not None:
        stmt = stmt.where(CorrectiveAction.must_fix.is_(filt.must_fix))
    if filt.owner is not None:
        user = directory.by_handle(session, filt.owner.strip().lstrip("@"))
        stmt = stmt.where(CorrectiveAction.owner_user_id == (user.id if user else -1))
    if filt.service is not None:
        found = session.scalar(select(Service.id).where(Service.slug == filt.service.strip()))
        stmt = stmt.where(CorrectiveAction.service_id == (found if found is not None else -1))
    return stmt


def search(
    session: Session, filt: ActionFilter, who: Principal, *, limit: int = LIST_LIMIT
) -> list[CorrectiveAction]:
    """Actions across the installation that ``who`` may see, soonest due first."""
    stmt = _filtered(session, filt, who).order_by(CorrectiveAction.due_date, CorrectiveAction.id)
    return list(session.scalars(stmt.limit(limit)))
