"""Notification use cases: page a person, keep contact methods, cancel, inspect and retry.

Everything here runs in the caller's transaction and only ``flush()``es (DESIGN.md rule 2).
:func:`page_user` writes outbox rows (``deliveries``) in the same transaction as the escalation
step that calls it; the engine's delivery step sends them (``plantao.notify.delivery``), so a
crash between "decided to page" and "sent" loses nothing (rule 3).

Entry points for other domains (keep these signatures)::

    page_user(session, *, incident_id, user_id, urgency, reason, step) -> int
    set_contact_methods(session, user_id, methods, rules, throttle) -> list[str]
    cancel_pending_for_incident(session, incident_id, reason) -> int
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.auth import keyring
from plantao.catalog import service as catalog_service
from plantao.catalog.models import User
from plantao.config import Settings, get_settings
from plantao.db import WAKE_CHANNEL, is_postgres, wake_engines
from plantao.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action as IncidentAction
from plantao.incidents.models import Incident
from plantao.notify import links as action_links
from plantao.notify import rendering
from plantao.notify.channels.base import ActionLink
from plantao.notify.links import Action, ActionClaim, ActionLinkError
from plantao.notify.models import (
    CONTACT_TYPES,
    DELIVERY_STATES,
    UNSENT_STATES,
    ContactMethod,
    Delivery,
    NotificationRule,
    UsedActionNonce,
)
from plantao.notify.specs import ContactMethodSpec, NotificationRuleSpec, ThrottleSpec

__all__ = [
    "WAKE_CHANNEL",
    "ActionPreview",
    "ActionResult",
    "UsedLinkError",
    "cancel_pending_for_incident",
    "depth_by_state",
    "inspect_action",
    "list_deliveries",
    "page_user",
    "perform_action",
    "retry_delivery",
    "set_contact_methods",
]

#: The engine LISTENs on this channel (the job queue's), so a page wakes it at once.
ACTIONS = (Action.ACK, Action.RESOLVE, Action.ESCALATE)
UrgencyArg = Literal["high", "low"]


# --------------------------------------------------------------------------- paging


def _page_key(incident_id: int, step: str, user_id: int, contact_id: int, after: int) -> str:
    key = f"page:{incident_id}:{step}:{user_id}:{contact_id}"
    return key if after == 0 else f"{key}:+{after}s"


def _first_annotation(alerts: Sequence[Any], *names: str) -> str | None:
    for alert in alerts:
        annotations = alert.annotations or {}
        for name in names:
            value = annotations.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def _sign_links(
    session: Session,
    settings: Settings,
    incident: Incident,
    user: User,
    language: str,
    expires_at: datetime,
) -> tuple[ActionLink, ...]:
    labels = rendering.LINK_LABELS[language]
    base = settings.base_url.rstrip("/")
    signing_key = keyring.current(session, settings).signing
    out = []
    for action in ACTIONS:
        token = action_links.sign_action(
            signing_key,
            incident_id=str(incident.id),
            action=action,
            subject=str(user.id),
            expires_at=expires_at,
        )
        out.append(
            ActionLink(action=str(action), label=labels[str(action)], url=f"{base}/a/{token}")
        )
    return tuple(out)


def _wake(session: Session) -> None:
    wake_engines(session)


def page_user(
    session: Session,
    *,
    incident_id: int,
    user_id: int,
    urgency: UrgencyArg | str,
    reason: str,
    step: str | int,
) -> int:
    """Schedule this person's notification rules for ``urgency``; returns rows written.

    One row per rule, due ``after`` from now, with the idempotency key
    ``page:<incident>:<step>:<user>:<contact>[:+<after>s]``: replaying the same step (a retried
    escalation job, a double click) inserts nothing the second time and returns 0.
    """
    if urgency not in ("high", "low"):
        raise ValidationFailed(f"urgency: must be high or low, not {urgency!r}")
    step_name = str(step)[:200]
    settings = get_settings()
    incident = incident_service.get(session, incident_id)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    rules = session.execute(
        select(NotificationRule, ContactMethod)
        .join(ContactMethod, ContactMethod.id == NotificationRule.contact_method_id)
        .where(NotificationRule.user_id == user_id, NotificationRule.urgency.in_([urgency, "any"]))
        .order_by(NotificationRule.after_seconds, NotificationRule.id)
    ).all()
    now = clock.now()
    if not rules:
        incident_service.append(
            session,
            incident.id,
            [
                incident_service.TimelineItem(
                    "notify.unreachable",
                    "plantao",
                    f"{user.handle} has no notification rules for {urgency} urgency: "
                    "nobody was notified",
                    {"user": user.handle, "step": step_name},
                )
            ],
        )
        return 0
    language = rendering.language_for(user.language)
    alerts = alert_service.first_alerts(session, incident.id)
    services = {s.id: s.name for s in catalog_service.list_services(session)}
    level = catalog_service.severity_matrix(session).level(incident.severity)
    expires_at = now + timedelta(seconds=settings.action_link_ttl_seconds)
    base = settings.base_url.rstrip("/")
    rows: list[dict[str, Any]] = []
    for rule, contact in rules:
        key = _page_key(incident.id, step_name, user.id, contact.id, rule.after_seconds)
        links = _sign_links(session, settings, incident, user, language, expires_at)
        context = rendering.PageContext(
            user_name=user.name,
            incident_ref=incident.human_id,
            title=incident.title,
            severity=incident.severity,
            priority=level.priority,
            service=services.get(incident.service_id, "?"),
            status=incident.status,
            summary=_first_annotation(alerts, "summary", "description"),
            runbook_url=_first_annotation(alerts, "runbook_url", "runbook"),
            incident_url=f"{base}/incidents/{incident.human_id}",
            reason=reason,
            step=step_name,
            urgency=urgency,
            links=links,
            links_expire_at=expires_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        rendered = rendering.render_page(context, language, settings.notify_template_dir)
        rows.append(
            {
                "idempotency_key": key,
                "kind": "page",
                "incident_id": incident.id,
                "user_id": user.id,
                "contact_method_id": contact.id,
                "channel": contact.type,
                "step": step_name,
                "reason": reason[:500],
                "urgency": urgency,
                "incident_ref": incident.human_id,
                "severity": incident.severity,
                "subject": rendered.subject,
                "text": rendered.text,
                "html": rendered.html,
                "links": [{"action": lk.action, "label": lk.label, "url": lk.url} for lk in links],
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now + timedelta(seconds=rule.after_seconds),
                "created_at": now,
            }
        )
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    inserted = 0
    stmt = (
        builder(Delivery)
        .on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
        .returning(Delivery.id)
    )
    for row in rows:  # one statement per row: RETURNING tells which keys were new
        if session.execute(stmt, row).scalar_one_or_none() is not None:
            inserted += 1
    if inserted:
        contacts = ", ".join(sorted({contact.name for _, contact in rules}))
        incident_service.append(
            session,
            incident.id,
            [
                incident_service.TimelineItem(
                    "notify.paged",
                    "plantao",
                    f"Paging {user.handle} ({urgency} urgency, {reason}) via {contacts}",
                    {"user": user.handle, "step": step_name, "deliveries": inserted},
                )
            ],
        )
        _wake(session)
    session.flush()
    return inserted


def cancel_pending_for_incident(session: Session, incident_id: int, reason: str) -> int:
    """Cancel this incident's deliveries that were not sent yet; sent and in-flight ones stay.

    In-flight (``leased``) rows are already being handed to a provider; cancelling them could
    not un-send them, so they finish normally.
    """
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.incident_id == incident_id,
            Delivery.kind == "page",
            Delivery.state.in_(UNSENT_STATES),
        )
        .values(
            state="cancelled",
            last_error=f"cancelled: {reason}"[:4000],
            finished_at=clock.now(),
            lease_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- contact methods


def _validate_method(handle: str, spec: ContactMethodSpec) -> None:
    where = f"contact {handle}/{spec.name}"
    if not spec.name or len(spec.name) > 64:
        raise ValidationFailed(f"{where}: name must be 1-64 characters")
    if spec.type not in CONTACT_TYPES:
        raise ValidationFailed(
            f"{where}: unknown type {spec.type!r}; use {', '.join(CONTACT_TYPES)}"
        )
    address = spec.address.strip()
    if not address or len(address) > 2048:
        raise ValidationFailed(f"{where}: address is empty or too long")
    if spec.type == "email" and ("@" not in address or " " in address):
        raise ValidationFailed(f"{where}: {address!r} is not an e-mail address")
    if spec.type in ("webhook", "slack", "mattermost", "teams") and not address.startswith(
        ("https://", "http://")
    ):
        raise ValidationFailed(f"{where}: address must be an http(s) URL")
    if spec.type == "webhook" and not spec.secret:
        raise ValidationFailed(f"{where}: a generic webhook needs a signing secret")


def _fmt_after(seconds: int) -> str:
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def set_contact_methods(
    session: Session,
    user_id: int,
    methods: list[ContactMethodSpec],
    rules: list[NotificationRuleSpec],
    throttle: ThrottleSpec | None,
) -> list[str]:
    """Make the user's contact methods and rules exactly these; returns what changed.

    Changes read like ``+ contact ana/work-email``, ``~ contact ana/work-email (address)``,
    ``- contact ana/pager``, ``+ rule ana/work-email after 2m (high)``. A removed contact
    method's unsent deliveries are cancelled. Applying the same input twice returns ``[]``.
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    handle = user.handle
    limit = throttle.limit if throttle else 5
    window = int((throttle.window if throttle else timedelta(minutes=15)).total_seconds())
    if limit < 1 or window < 1:
        raise ValidationFailed(f"throttle for {handle}: limit and window must be positive")
    names = [m.name for m in methods]
    if len(set(names)) != len(names):
        raise ValidationFailed(f"contacts of {handle}: names must be unique")
    for spec in methods:
        _validate_method(handle, spec)
    for rule in rules:
        if rule.contact not in names:
            raise ValidationFailed(f"rule of {handle}: unknown contact {rule.contact!r}")
        if rule.after < timedelta(0):
            raise ValidationFailed(f"rule of {handle}/{rule.contact}: after must not be negative")
        if rule.urgency not in ("high", "low", "any"):
            raise ValidationFailed(f"rule of {handle}/{rule.contact}: unknown urgency")

    changes: list[str] = []
    existing = {
        c.name: c
        for c in session.scalars(select(ContactMethod).where(ContactMethod.user_id == user_id))
    }
    for name, contact in sorted(existing.items()):
        if name not in names:
            session.execute(
                update(Delivery)
                .where(Delivery.contact_method_id == contact.id, Delivery.state.in_(UNSENT_STATES))
                .values(
                    state="cancelled",
                    last_error="cancelled: contact method removed",
                    finished_at=clock.now(),
                )
                .execution_options(synchronize_session=False)
            )
            session.delete(contact)
            changes.append(f"- contact {handle}/{name}")
    session.flush()
    by_name: dict[str, ContactMethod] = {}
    for spec in methods:
        found = existing.get(spec.name)
        secret = spec.secret or None
        address = spec.address.strip()
        if found is None:
            found = ContactMethod(
                user_id=user_id,
                name=spec.name,
                type=spec.type,
                address=address,
                secret=secret,
                throttle_limit=limit,
                throttle_window_seconds=window,
            )
            session.add(found)
            changes.append(f"+ contact {handle}/{spec.name} ({spec.type})")
        else:
            what = []
            if found.type != spec.type:
                found.type = spec.type
                what.append("type")
            if found.address != address:
                found.address = address
                what.append("address")
            if found.secret != secret:
                found.secret = secret
                what.append("secret")
            if (found.throttle_limit, found.throttle_window_seconds) != (limit, window):
                found.throttle_limit = limit
                found.throttle_window_seconds = window
                what.append(f"throttle {limit}/{_fmt_after(window)}")
            if what:
                changes.append(f"~ contact {handle}/{spec.name} ({', '.join(what)})")
        by_name[spec.name] = found
    session.flush()

    id_to_name = {c.id: n for n, c in by_name.items()}
    have = {
        (id_to_name.get(r.contact_method_id, "?"), r.after_seconds, r.urgency): r
        for r in session.scalars(
            select(NotificationRule).where(NotificationRule.user_id == user_id)
        )
    }
    want = {(r.contact, int(r.after.total_seconds()), r.urgency) for r in rules}
    for key, old_rule in sorted(have.items()):
        if key not in want:
            session.delete(old_rule)
            if key[0] in by_name:  # rules of removed contacts went with them
                changes.append(f"- rule {handle}/{key[0]} after {_fmt_after(key[1])} ({key[2]})")
    for key in sorted(want - set(have)):
        session.add(
            NotificationRule(
                user_id=user_id,
                contact_method_id=by_name[key[0]].id,
                after_seconds=key[1],
                urgency=key[2],
            )
        )
        changes.append(f"+ rule {handle}/{key[0]} after {_fmt_after(key[1])} ({key[2]})")
    session.flush()
    return changes


def contact_methods(session: Session, user_id: int) -> list[ContactMethod]:
    return list(
        session.scalars(
            select(ContactMethod).where(ContactMethod.user_id == user_id).order_by(ContactMethod.id)
        )
    )


# --------------------------------------------------------------------------- outbox admin


def list_deliveries(
    session: Session, *, state: str | None = None, incident_id: int | None = None, limit: int = 100
) -> list[Delivery]:
    if state is not None and state not in DELIVERY_STATES:
        raise ValidationFailed(f"state: unknown state {state!r}; use {', '.join(DELIVERY_STATES)}")
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit: must be between 1 and 500")
    stmt = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Delivery.state == state)
    if incident_id is not None:
        stmt = stmt.where(Delivery.incident_id == incident_id)
    return list(session.scalars(stmt))


def retry_delivery(session: Session, delivery_id: int) -> Delivery:
    """Give a dead delivery a fresh attempt budget, due now."""
    delivery = session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} does not exist")
    if delivery.state != "dead":
        raise Conflict(f"delivery {delivery_id} is {delivery.state}; only dead ones are retried")
    delivery.state = "pending"
    delivery.attempts = 0
    delivery.locked_by = None
    delivery.lease_until = None
    delivery.finished_at = None
    delivery.next_attempt_at = clock.now()
    session.flush()
    _wake(session)
    return delivery


def depth_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    counts.update({state: int(n) for state, n in rows.tuples()})
    return counts


# --------------------------------------------------------------------------- action links


class UsedLinkError(ActionLinkError):
    title = "Action link already used"


@dataclass(frozen=True)
class ActionPreview:
    claim: ActionClaim
    incident_ref: str
    incident_title: str
    incident_status: str
    user_handle: str
    user_name: str
    language: str


@dataclass(frozen=True)
class ActionResult:
    preview: ActionPreview
    outcome: str  # "acknowledged", "resolved", "escalated", "escalation-requested", "no-op"
    message: str


def inspect_action(session: Session, token: str, settings: Settings | None = None) -> ActionPreview:
    """Verify a link and describe what it would do; raises ActionLinkError, changes nothing."""
    settings = settings or get_settings()
    keys = keyring.current(session, settings).verifying
    claim = action_links.verify_action(token, keys, clock.now())
    if session.get(UsedActionNonce, claim.nonce) is not None:
        raise UsedLinkError("this action link was already used")
    try:
        incident = incident_service.get(session, int(claim.incident_id))
        user = session.get(User, int(claim.subject))
    except (ValueError, NotFound):
        raise action_links.MalformedLinkError("the incident of this link does not exist") from None
    if user is None:
        raise action_links.MalformedLinkError("the person this link was sent to does not exist")
    return ActionPreview(
        claim=claim,
        incident_ref=incident.human_id,
        incident_title=incident.title,
        incident_status=incident.status,
        user_handle=user.handle,
        user_name=user.name,
        language=rendering.language_for(user.language),
    )


def _escalate_now(session: Session, incident: Incident, actor: str) -> tuple[str, str]:
    try:
        oncall = importlib.import_module("plantao.oncall.service")
    except ModuleNotFoundError:
        oncall = None
    escalate = getattr(oncall, "escalate_now", None)
    if escalate is not None:
        try:
            with session.begin_nested():
                escalate(session, incident.id, actor)
        except Conflict as exc:
            return "no-op", str(exc)
        return "escalated", "escalated to the next step"
    incident_service.append(
        session,
        incident.id,
        [
            incident_service.TimelineItem(
                "notify.escalate_requested",
                actor,
                "Escalation requested from a signed link (no escalation policy engine available)",
                {"via": "action-link"},
            )
        ],
    )
    return "escalation-requested", "escalation requested (recorded on the timeline)"


def perform_action(
    session: Session, token: str, settings: Settings | None = None, *, expected: str | None = None
) -> ActionResult:
    """Verify, burn the nonce, act as the person the link was sent to. Flushes, never commits.

    The nonce row is inserted first: two concurrent POSTs of the same link collide on its
    primary key and only one acts. An action the incident no longer allows (acknowledging a
    resolved incident) burns the link and reports ``no-op`` rather than failing.
    """
    settings = settings or get_settings()
    if expected is not None:
        keys = keyring.current(session, settings).verifying
        action_links.verify_action(token, keys, clock.now(), expected)
    preview = inspect_action(session, token, settings)
    claim = preview.claim
    incident = incident_service.get(session, int(claim.incident_id), for_update=True)
    session.add(
        UsedActionNonce(
            nonce=claim.nonce,
            incident_id=incident.id,
            user_id=int(claim.subject),
            action=str(claim.action),
            used_at=clock.now(),
            expires_at=claim.expires_at,
        )
    )
    session.flush()
    actor = preview.user_handle
    mapping = {Action.ACK: IncidentAction.ACKNOWLEDGE, Action.RESOLVE: IncidentAction.RESOLVE}
    if claim.action in mapping:
        try:
            with session.begin_nested():
                incident_service.act(
                    session, incident, mapping[claim.action], actor=actor, reason="signed link"
                )
        except InvalidTransition:
            return ActionResult(
                preview, "no-op", f"{incident.human_id} is already {incident.status}"
            )
        done = "acknowledged" if claim.action is Action.ACK else "resolved"
        return ActionResult(preview, done, f"{incident.human_id} {done} by {actor}")
    outcome, message = _escalate_now(session, incident, actor)
    return ActionResult(preview, outcome, f"{incident.human_id}: {message}")


def purge_used_nonces(session: Session) -> int:
    """Forget nonces of links that expired (they are refused as expired anyway)."""
    from sqlalchemy import delete

    result = session.execute(
        delete(UsedActionNonce).where(UsedActionNonce.expires_at < clock.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
