"""The engine's fan-out step: every status update reaches its incident's stakeholders, once.

Posting an update (``plantao.command.updates``) writes the row with ``fanned_out_at`` NULL and
sends nothing (nothing leaves from a request). This step, run each cycle after the reactions
and before the delivery step, claims a batch of such updates (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL: engines running at once take disjoint batches) and, in one transaction:

1. finds each incident's audience (:func:`plantao.command.stakeholders.audience_for`: global,
   team and service stakeholders at their ``min_severity``; a private incident only its
   responders and admins among ``user`` stakeholders);
2. renders the update once per language and time zone with the operator's overrides: Sev1
   (P0, seed 003 §4.3) uses ``p0_initial``/``p0_update``/``p0_resolution``, others
   ``status_update``;
3. writes one ``kind='message'`` outbox row per target: a list or a channel gets one row to its
   ``address``; a person gets one per contact method their notification rules use for the
   update's urgency (high for Sev1, else low), like a page but all at once. The idempotency key
   ``update:<update>:<stakeholder>[:<contact>]`` with ``ON CONFLICT DO NOTHING`` makes a replay
   write nothing;
4. sets ``fanned_out_at`` and notes on the timeline how many stakeholders it went to.

A failure rolls the whole batch back and it is claimed again next cycle. The delivery step sends
the rows with the outbox's leases, retries, backoff and throttles. An update that cannot be
rendered (an operator's override broken after it was saved) is still marked, with a timeline
entry saying why nobody was told, so one bad template does not block every later update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.command import stakeholders
from plantao.command.models import Stakeholder, StatusUpdate
from plantao.comms import overrides
from plantao.comms import render as comms_render
from plantao.comms.facts import IncidentFacts
from plantao.config import Settings, get_settings
from plantao.db import is_postgres, run_transaction
from plantao.engine import incident_facts
from plantao.errors import ValidationFailed
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.jobs import leasing
from plantao.notify.models import ContactMethod, Delivery, NotificationRule
from plantao.people.models import User

log = structlog.get_logger("plantao.engine.comms_fanout")
#: Updates per transaction: each costs a few statements and one INSERT per target.
BATCH = 50
FANNED_OUT = "comms.fanned_out"


@dataclass(frozen=True)
class _Target:
    stakeholder: Stakeholder
    channel: str
    key: str
    address: str | None = None
    user_id: int | None = None
    contact_id: int | None = None
    time_zone: str = "UTC"


class CommsFanoutStep:
    """The engine step; see the module docstring."""

    before_jobs = False  # after the urgent jobs; listed before the delivery step, which sends

    def __init__(self, settings: Settings | None = None, batch: int = BATCH) -> None:
        self.settings = settings or get_settings()
        self.batch = batch

    def __call__(self, factory: sessionmaker[Session], worker_id: str) -> int:
        return run_transaction(factory, lambda s: fan_out(s, self.settings, self.batch))


def template_for(severity: str, kind: str) -> str:
    """Sev1 speaks seed 003 §4.3's P0 messages; every other severity the status template."""
    if severity != "sev1":
        return "status_update"
    return {"initial": "p0_initial", "resolution": "p0_resolution"}.get(kind, "p0_update")


def _claim(session: Session, limit: int) -> list[StatusUpdate]:
    stmt = (
        select(StatusUpdate)
        .where(StatusUpdate.fanned_out_at.is_(None))
        .order_by(StatusUpdate.id)
        .limit(limit)
    )
    return list(session.scalars(leasing.for_update(session, stmt, skip_locked=True)))


def _targets(
    session: Session, row: StatusUpdate, incident: Incident
) -> tuple[list[_Target], list[str]]:
    """Every target of the update, and the names of person stakeholders it cannot reach (no
    contact method for its urgency, or disabled)."""
    audience = stakeholders.audience_for(session, incident)
    urgency = "high" if incident.severity == "sev1" else "low"
    people = sorted({s.user_id for s in audience if s.kind == "user" and s.user_id is not None})
    contacts: dict[int, list[tuple[ContactMethod, str]]] = {}
    if people:
        found = session.execute(
            select(ContactMethod, User.time_zone)
            .join(User, User.id == ContactMethod.user_id)
            .join(NotificationRule, NotificationRule.contact_method_id == ContactMethod.id)
            .where(
                ContactMethod.user_id.in_(people),
                User.disabled_at.is_(None),
                NotificationRule.urgency.in_([urgency, "any"]),
            )
            .order_by(ContactMethod.id)
            .distinct()
        ).tuples()
        for contact, zone in found:
            contacts.setdefault(contact.user_id, []).append((contact, zone))
    base = f"update:{row.id}"
    out: list[_Target] = []
    unreachable: list[str] = []
    for stk in audience:
        if stk.kind != "user":
            key = f"{base}:{stk.id}"
            out.append(_Target(stk, stk.kind, key, address=stk.address))
            continue
        if not contacts.get(stk.user_id or 0):
            unreachable.append(stk.name)
        for contact, zone in contacts.get(stk.user_id or 0, []):
            key = f"{base}:{stk.id}:{contact.id}"
            out.append(_Target(stk, contact.type, key, None, stk.user_id, contact.id, zone))
    return out, unreachable


def fan_out(session: Session, settings: Settings, limit: int = BATCH) -> int:
    """Fan out up to ``limit`` updates in the caller's transaction; returns how many."""
    claimed = _claim(session, limit)
    if not claimed:
        return 0
    now = clock.now()
    incidents = {
        i.id: i
        for i in session.scalars(
            select(Incident).where(Incident.id.in_(sorted({u.incident_id for u in claimed})))
        )
    }
    facts = incident_facts.facts_for_many(session, list(incidents.values()), settings)
    templates = overrides.all_overrides(session)
    rows: list[dict[str, Any]] = []
    timeline: list[tuple[int, incident_service.TimelineItem]] = []
    for update in claimed:
        incident = incidents[update.incident_id]
        targets, unreachable = _targets(session, update, incident)
        base = replace(facts[incident.id], latest=incident_facts.update_facts(update))
        name = template_for(incident.severity, update.kind)
        try:
            rows += _rows(update, incident, base, name, targets, templates, settings, now)
        except ValidationFailed as exc:
            log.error("comms.render_failed", update=update.id, template=name, error=exc.detail)
            message = f"Status update not sent to stakeholders: template {name}: {exc.detail}"
            item = incident_service.TimelineItem(FANNED_OUT, "plantao", message, {"failed": True})
            timeline.append((incident.id, item))
            continue
        if targets or unreachable:
            names = sorted({t.stakeholder.name for t in targets})
            message = f"Status update sent to {len(names)} stakeholder(s): {', '.join(names)}"
            if unreachable:
                message += f"; no contact method for this urgency: {', '.join(unreachable)}"
            data = {
                "update_id": update.id,
                "stakeholders": len(names),
                "messages": len(targets),
                "unreachable": unreachable,
            }
            item = incident_service.TimelineItem(FANNED_OUT, "plantao", message, data)
            timeline.append((incident.id, item))
    _insert(session, rows)
    for update in claimed:
        update.fanned_out_at = now
    if timeline:
        incident_service.append_many(session, timeline, at=now)
    session.flush()
    return len(claimed)


def _rows(
    update: StatusUpdate,
    incident: Incident,
    facts: IncidentFacts,
    name: str,
    targets: Sequence[_Target],
    templates: dict[tuple[str, str], comms_render.Source],
    settings: Settings,
    now: datetime,
) -> list[dict[str, Any]]:
    rendered: dict[tuple[str, str], comms_render.Rendered] = {}
    out: list[dict[str, Any]] = []
    for target in targets:
        language = target.stakeholder.language
        if (language, target.time_zone) not in rendered:
            rendered[(language, target.time_zone)] = comms_render.render(
                name,
                language,
                facts,
                time_zone=target.time_zone,
                overrides=templates,
                template_dir=settings.notify_template_dir,
            )
        message = rendered[(language, target.time_zone)]
        out.append(
            {
                "idempotency_key": target.key,
                "kind": "message",
                "incident_id": incident.id,
                "user_id": target.user_id,
                "contact_method_id": target.contact_id,
                "channel": target.channel,
                "address": target.address,
                "step": f"update:{update.id}",
                "reason": f"stakeholder {target.stakeholder.name}"[:500],
                "urgency": "high" if incident.severity == "sev1" else "low",
                "incident_ref": incident.human_id,
                "severity": incident.severity,
                "subject": message.subject,
                "text": message.text,
                "html": None,
                "links": [],
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    return out


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    """All rows in one statement; a key written before (a replayed batch) is skipped."""
    if not rows:
        return
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = builder(Delivery).on_conflict_do_nothing(index_elements=[Delivery.idempotency_key])
    session.execute(stmt, rows)
