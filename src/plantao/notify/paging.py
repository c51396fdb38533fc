"""Paging a person: outbox rows (``deliveries``) for their notification rules, and cancelling
the rows not sent yet when someone owns the incident.

Everything here runs in the caller's transaction and only ``flush()``es (DESIGN.md rule 2).
:func:`page_user` writes outbox rows in the same transaction as the escalation step that calls
it; the engine's delivery step sends them (``plantao.notify.delivery``), so a crash between
"decided to page" and "sent" loses nothing (rule 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts import service as alert_service
from plantao.auth import keyring
from plantao.catalog import service as catalog_service
from plantao.config import Settings, get_settings
from plantao.db import is_postgres, wake_engines
from plantao.errors import NotFound, ValidationFailed
from plantao.incidents import privacy, severity_config
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.notify import link_tokens, rendering
from plantao.notify.channels.base import ActionLink
from plantao.notify.link_tokens import LinkAction
from plantao.notify.models import (
    RESPONDER_STEP_PREFIX,
    UNSENT_STATES,
    ContactMethod,
    Delivery,
    NotificationRule,
)
from plantao.people.models import User

#: The actions every page offers as signed links, in the order their buttons appear.
ACTIONS = (LinkAction.ACK, LinkAction.RESOLVE, LinkAction.ESCALATE)
UrgencyArg = Literal["high", "low"]


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
        token = link_tokens.sign_action(
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
    privacy.admit_paged(session, incident, user.id)  # a private incident: they may see it now
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
    level = severity_config.severity_matrix(session).level(incident.severity)
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
        wake_engines(session)
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


def cancel_responder_pages(session: Session, incident_id: int, user_id: int, reason: str) -> int:
    """Cancel the unsent responder pages (``responder:<via>`` steps) of one person on one
    incident: they answered (acknowledged or joined), so the later rules (an SMS five minutes
    after the e-mail) must not go out."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.incident_id == incident_id,
            Delivery.user_id == user_id,
            Delivery.kind == "page",
            Delivery.step.startswith(RESPONDER_STEP_PREFIX),
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
