"""Who is on an incident: the read model behind the incident page's "Who's on it" panel.

At 3 a.m. the responder asks, in this order: who was paged and did it reach them, is anyone
acknowledging, and what happens next and when. The answers live in four domains (on-call pages
and the running escalation, notify's outbox, the incident's responders and timeline, the severity
matrix's targets); this entry-point module reads them in a handful of queries and hands the page
plain values, so the template only lays them out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.errors import NotFound
from plantao.incidents import severity_config
from plantao.incidents.models import Incident, IncidentResponder, TimelineEntry
from plantao.notify.models import ContactMethod, Delivery
from plantao.observability.scrub import scrub
from plantao.oncall import escalations, schedules
from plantao.oncall import snooze as oncall_snooze
from plantao.oncall import unresolved as oncall_unresolved
from plantao.oncall.escalation_plan import Cursor, CursorKind, PolicySnapshot, targets_at
from plantao.oncall.models import Page
from plantao.oncall.unresolved_plan import describe_after
from plantao.people.models import User

_STEP = re.compile(r"^step (\d+) of (\d+)(?:, repeat (\d+)/(\d+))?$")
#: ``oncall.unresolved``'s labels: ``level 2, unresolved 30 min``, ``level 3, category security``.
_LEVEL = re.compile(r"^level (\d+), (.+)$")
#: Outbox states as the panel names them (``notify.models`` documents the state machine).
_SHOWN_STATE = {
    "pending": "queued",
    "leased": "sending",
    "held": "held",
    "retrying": "retrying",
    "sent": "sent",
    "cancelled": "cancelled",
    "bundled": "bundled",
}
#: How ``notify.delivery.record`` words a delivery that ran out of attempts (dead, not failed).
_GAVE_UP = "gave up after"
#: A provider's error as shown on the incident (the whole text stays on /deliveries).
REASON_MAX = 500


@dataclass(frozen=True)
class StepLabel:
    """A position of an escalation policy: ``kind`` is step, fallback or other (``text``)."""

    kind: str
    step: int = 0
    steps: int = 0
    repeat: int = 0
    repeats: int = 0
    text: str = ""


def parse_label(text: str) -> StepLabel:
    """The label on-call writes on a page (``step 2 of 3, repeat 1/1``, ``fallback``)."""
    if text == "fallback":
        return StepLabel("fallback")
    level = _LEVEL.match(text)
    if level is not None:  # escalated while acknowledged and not resolved (step = the level)
        return StepLabel("level", step=int(level.group(1)), text=level.group(2))
    found = _STEP.match(text)
    if found is None:
        return StepLabel("other", text=text)
    return StepLabel(
        "step",
        step=int(found.group(1)),
        steps=int(found.group(2)),
        repeat=int(found.group(3) or 0),
        repeats=int(found.group(4) or 0),
    )


def label_of(snapshot: PolicySnapshot, cursor: Cursor) -> StepLabel:
    if cursor.kind is CursorKind.FALLBACK:
        return StepLabel("fallback")
    return StepLabel(
        "step",
        step=cursor.step + 1,
        steps=len(snapshot.steps),
        repeat=cursor.repeat,
        repeats=snapshot.repeat if cursor.repeat else 0,
    )


@dataclass(frozen=True)
class DeliveryLine:
    """One notification to one contact method, with the state shown and its reason."""

    channel: str
    contact: str | None
    state: str
    reason: str | None
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    finished_at: datetime | None
    digest: str | None = None  # the state of the digest a throttled page was bundled into


@dataclass(frozen=True)
class PagedPerson:
    """Someone paged: by an escalation step (``step``) or by hand (``added_by``)."""

    handle: str
    name: str
    paged_at: datetime
    step: StepLabel | None
    urgency: str
    added_by: str | None = None
    deliveries: list[DeliveryLine] = field(default_factory=list)


@dataclass(frozen=True)
class NextStep:
    label: StepLabel
    due_at: datetime
    targets: Sequence[tuple[str, str, list[str]]]  # (kind user|schedule, ref, people on call)


@dataclass(frozen=True)
class EscalationState:
    policy: str
    state: str  # active, stopped, exhausted
    notice: str | None  # "window:<name>" or "deferred"
    next: NextStep | None


@dataclass(frozen=True)
class AckDue:
    """The acknowledge target of the incident's severity and whether it was met."""

    due_at: datetime | None
    target_minutes: int | None
    state: str  # met, missed, pending, none (no target)
    at: datetime | None
    by: str | None


@dataclass(frozen=True)
class WhosOnIt:
    paged: list[PagedPerson]
    escalation: EscalationState | None
    ack: AckDue
    snooze: oncall_snooze.Snooze | None
    unpaged: str | None = None  # the latest ``paging.nobody`` entry's message


def unpaged_reason(session: Session, incident_id: int) -> str | None:
    """Why nobody was paged, from the latest ``paging.nobody`` timeline entry (None: paged)."""
    return session.scalars(
        select(TimelineEntry.message)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "paging.nobody")
        .order_by(TimelineEntry.id.desc())
        .limit(1)
    ).one_or_none()


def delivery_state(row: Delivery) -> tuple[str, str | None]:
    """The state the panel shows for an outbox row, and why (the provider's last error, its
    credentials redacted: an error may quote a webhook URL whose path is the secret)."""
    reason = scrub(row.last_error)[:REASON_MAX] if row.last_error else None
    if row.state == "dead":
        gave_up = (reason or "").startswith(_GAVE_UP)
        return ("dead" if gave_up else "failed"), reason
    if row.state == "cancelled" and reason:
        reason = reason.removeprefix("cancelled: ")
    return _SHOWN_STATE.get(row.state, row.state), reason


def _deliveries(session: Session, incident_id: int) -> list[tuple[Delivery, str | None]]:
    rows = session.execute(
        select(Delivery, ContactMethod.name)
        .outerjoin(ContactMethod, ContactMethod.id == Delivery.contact_method_id)
        .where(Delivery.incident_id == incident_id, Delivery.kind == "page")
        .order_by(Delivery.id)
    ).tuples()
    return list(rows)


def _line(row: Delivery, contact: str | None, digests: dict[int, Delivery]) -> DeliveryLine:
    state, reason = delivery_state(row)
    digest = digests.get(row.bundled_into_id) if row.bundled_into_id is not None else None
    if digest is not None:  # throttled into a digest: what happened to the digest is the news
        _, reason = delivery_state(digest)
    waiting = row.state in ("pending", "retrying", "held")
    return DeliveryLine(
        channel=row.channel,
        contact=contact,
        state=state,
        reason=reason,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if waiting else None,
        sent_at=row.sent_at,
        finished_at=row.finished_at,
        digest=delivery_state(digest)[0] if digest is not None else None,
    )


def paged_people(session: Session, incident_id: int) -> list[PagedPerson]:
    """Everyone paged for the incident, oldest first, each with their deliveries."""
    pages = session.execute(
        select(Page, User)
        .join(User, User.id == Page.user_id)
        .where(Page.incident_id == incident_id)
        # Page ids follow the order escalation steps fired in.
        .order_by(Page.id)
    ).tuples()
    rows = _deliveries(session, incident_id)
    bundled = sorted({r.bundled_into_id for r, _ in rows if r.bundled_into_id is not None})
    digests = (
        {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(bundled)))}
        if bundled
        else {}
    )
    by_page: dict[tuple[int | None, str], list[DeliveryLine]] = {}
    urgency: dict[tuple[int | None, str], str] = {}
    for row, contact in rows:
        by_page.setdefault((row.user_id, row.step), []).append(_line(row, contact, digests))
        urgency.setdefault((row.user_id, row.step), row.urgency)
    out: list[PagedPerson] = []
    seen: set[tuple[int, str]] = set()
    for page, user in pages:
        key = (user.id, str(page.firing))
        seen.add(key)
        out.append(
            PagedPerson(
                handle=user.handle,
                name=user.name,
                paged_at=page.paged_at,
                step=parse_label(page.label),
                urgency=page.urgency,
                deliveries=by_page.get(key, []),
            )
        )
    # Pages not written by an escalation step: a person asked onto the incident as a responder
    # (``plantao.command.responders``, step ``responder:<via>``) was paged directly; who added
    # them is on their responder row.
    adders = _adders(session, incident_id)
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(sorted({uid for uid, _ in by_page} or {0})))
        )
    }
    for (user_id, step), lines in by_page.items():
        if (user_id, step) in seen or user_id not in users:
            continue
        seen.add((user_id, step))
        user = users[user_id]
        first = min(lines, key=lambda line: line.created_at)
        out.append(
            PagedPerson(
                handle=user.handle,
                name=user.name,
                paged_at=first.created_at,
                step=None,
                urgency=urgency[(user_id, step)],
                added_by=adders.get(user.handle, step.removeprefix("responder:"))
                if step.startswith("responder:")
                else None,
                deliveries=lines,
            )
        )
    # Someone paged by hand who has no notification rules: only the timeline says so.
    handles = {p.handle for p in out}
    unreachable = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id, TimelineEntry.kind == "notify.unreachable")
        .order_by(TimelineEntry.id)
    )
    for entry in unreachable:
        step = str(entry.data.get("step", ""))
        user_handle = str(entry.data.get("user", ""))
        if not step.startswith("responder:"):
            continue
        if user_handle in handles:
            continue
        handles.add(user_handle)
        out.append(
            PagedPerson(
                handle=user_handle,
                name=user_handle,
                paged_at=entry.at,
                step=None,
                urgency="",
                added_by=adders.get(user_handle, step.removeprefix("responder:")),
            )
        )
    return sorted(out, key=lambda p: p.paged_at)


def _adders(session: Session, incident_id: int) -> dict[str, str]:
    """Who added each of the incident's responders, by handle."""
    query = (
        select(User.handle, IncidentResponder.added_by)
        .join(User, User.id == IncidentResponder.user_id)
        .where(IncidentResponder.incident_id == incident_id)
    )
    return dict(session.execute(query).tuples().all())


def _on_call(session: Session, slug: str, at: datetime) -> list[str]:
    try:
        return schedules.who_is_on_call(session, slug, at)
    except NotFound:
        return []


def escalation_state(session: Session, incident_id: int) -> EscalationState | None:
    """The running escalation, and the next position with its due time and whom it pages."""
    esc = escalations.get(session, incident_id)
    if esc is None:
        return None
    following: NextStep | None = None
    cursor = Cursor.from_dict(esc.cursor)
    if esc.state == "active" and esc.due_at is not None and cursor.kind is not CursorKind.EXHAUSTED:
        snapshot = PolicySnapshot.from_dict(esc.snapshot)
        targets = [
            (t.kind, t.ref, [t.ref] if t.kind == "user" else _on_call(session, t.ref, esc.due_at))
            for t in targets_at(snapshot, cursor)
        ]
        following = NextStep(label_of(snapshot, cursor), esc.due_at, targets)
    pending = oncall_unresolved.next_level(esc) if following is None else None
    if pending is not None:  # acknowledged: the next level if it is still not resolved then
        step, due = pending
        snapshot = PolicySnapshot.from_dict(esc.snapshot)
        after = describe_after(snapshot.unresolved[esc.unresolved_next].after)
        targets = [
            (t.kind, t.ref, [t.ref] if t.kind == "user" else _on_call(session, t.ref, due))
            for t in snapshot.steps[step - 1].targets
        ]
        label = StepLabel("level", step=step, text=f"unresolved {after}")
        following = NextStep(label, due, targets)
    return EscalationState(esc.policy_slug, esc.state, esc.notice, following)


def ack_due(session: Session, incident: Incident, now: datetime) -> AckDue:
    """Met when someone responded (acknowledged, or mitigated/resolved without an ack) by the
    target of the incident's severity; missed when they did so later or not at all by now."""
    level = severity_config.severity_matrix(session).level(incident.severity)
    first = session.scalars(
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident.id, TimelineEntry.kind == "incident.acknowledged"
        )
        .order_by(TimelineEntry.id)
        .limit(1)
    ).one_or_none()
    responded = incident.acknowledged_at or incident.mitigated_at or incident.resolved_at
    by = first.actor if first is not None else None
    if level.mtta is None:
        return AckDue(None, None, "none", responded, by)
    due = incident.triggered_at + level.mtta
    minutes = int(level.mtta.total_seconds() // 60)
    if responded is not None:
        return AckDue(due, minutes, "met" if responded <= due else "missed", responded, by)
    return AckDue(due, minutes, "missed" if now > due else "pending", None, None)


def assemble(session: Session, incident: Incident, now: datetime) -> WhosOnIt:
    return WhosOnIt(
        paged=paged_people(session, incident.id),
        escalation=escalation_state(session, incident.id),
        ack=ack_due(session, incident, now),
        snooze=oncall_snooze.current(session, incident),
        unpaged=unpaged_reason(session, incident.id),
    )
