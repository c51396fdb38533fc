"""Incident use cases: open, move through the lifecycle, annotate, list.

Every change writes a timeline entry in the same transaction, so the timeline is the audit log,
and a reaction marker where higher domains must act (:mod:`plantao.incidents.reactions`).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, event, func, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import NotFound, ValidationFailed
from plantao.incidents import lifecycle, reactions, severity
from plantao.incidents.lifecycle import Action, Status
from plantao.incidents.models import Incident, IncidentCounter, TimelineEntry

NOTE_MAX = 20_000
MAX_PAGE = 200
#: Incident ids are a PostgreSQL ``integer``: a larger number is no incident, not a query.
MAX_INCIDENT_ID = 2**31 - 1


@dataclass(frozen=True)
class TimelineItem:
    kind: str
    actor: str
    message: str
    data: dict[str, Any]


_UNNUMBERED = "plantao.unnumbered_incidents"


def _reserve_numbers(session: Session, day: str, count: int) -> int:
    """Reserve ``count`` numbers for ``day``; returns the last one."""
    dialect = session.get_bind().dialect.name
    builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        builder(IncidentCounter)
        .values(day=day, last=count)
        .on_conflict_do_update(
            index_elements=[IncidentCounter.day], set_={"last": IncidentCounter.last + count}
        )
        .returning(IncidentCounter.last)
    )
    return int(session.execute(upsert).scalar_one())


@event.listens_for(Session, "before_commit")
def _number_new_incidents(session: Session) -> None:
    """Give incidents opened in this transaction their ``INC-YYYYMMDD-N`` at the last moment.

    The per-day counter row is a hot spot: whoever increments it holds its lock until commit.
    Numbering just before commit keeps that window to a few statements instead of the whole
    intake transaction, so concurrent webhooks opening incidents do not queue behind each other.
    """
    pending: list[Incident] = session.info.pop(_UNNUMBERED, [])
    by_day: dict[str, list[Incident]] = {}
    for incident in pending:
        by_day.setdefault(incident.triggered_at.strftime("%Y%m%d"), []).append(incident)
    for day, incidents in sorted(by_day.items()):
        last = _reserve_numbers(session, day, len(incidents))
        first = last - len(incidents) + 1
        for offset, incident in enumerate(sorted(incidents, key=lambda i: i.id)):
            incident.human_id = f"INC-{day}-{first + offset}"
    if pending:
        session.flush()


@event.listens_for(Session, "after_rollback")
def _forget_unnumbered(session: Session) -> None:
    session.info.pop(_UNNUMBERED, None)


def append(
    session: Session, incident_id: int, items: Iterable[TimelineItem], *, at: datetime | None = None
) -> None:
    append_many(session, ((incident_id, it) for it in items), at=at)


def append_many(
    session: Session, entries: Iterable[tuple[int, TimelineItem]], *, at: datetime | None = None
) -> None:
    """Timeline entries of several incidents in one INSERT, in the order given (ids follow it)."""
    when = at or clock.now()
    rows = [
        {
            "incident_id": incident_id,
            "at": when,
            "kind": it.kind,
            "actor": it.actor,
            "message": it.message,
            "data": it.data,
        }
        for incident_id, it in entries
    ]
    if rows:
        session.execute(insert(TimelineEntry), rows)


@dataclass(frozen=True)
class NewIncident:
    """What :func:`open_incidents` needs to open one incident."""

    title: str
    severity_name: str
    service_id: int
    route_id: int | None
    group_key: str
    group_window_seconds: int
    auto_resolve: bool
    detected_at: datetime


def open_incident(
    session: Session,
    *,
    title: str,
    severity_name: str,
    service_id: int,
    route_id: int | None,
    group_key: str,
    group_window_seconds: int,
    auto_resolve: bool,
    detected_at: datetime,
    actor: str,
) -> Incident:
    [incident] = open_incidents(
        session,
        [
            NewIncident(
                title=title,
                severity_name=severity_name,
                service_id=service_id,
                route_id=route_id,
                group_key=group_key,
                group_window_seconds=group_window_seconds,
                auto_resolve=auto_resolve,
                detected_at=detected_at,
            )
        ],
        actor=actor,
    )
    return incident


def open_incidents(session: Session, specs: Sequence[NewIncident], *, actor: str) -> list[Incident]:
    """Open several incidents with one INSERT, one timeline INSERT and one INSERT of reaction
    markers, so that a batch of intake opening hundreds of incidents pays a few statements per
    batch, not a dozen per incident. Returns the incidents in the order of ``specs``."""
    if not specs:
        return []
    now = clock.now()
    # Unique placeholders until commit (see _number_new_incidents), also used below to match
    # the returned rows to ``specs``.
    placeholders = [f"INC-PENDING-{uuid.uuid4().hex[:16].upper()}" for _ in specs]
    rows: list[dict[str, Any]] = [
        {
            "human_id": placeholder,
            "title": spec.title[:1024],
            "status": Status.TRIGGERED,
            "severity": severity.normalize(spec.severity_name),
            "service_id": spec.service_id,
            "route_id": spec.route_id,
            "group_key": spec.group_key[:1024],
            "group_window_seconds": spec.group_window_seconds,
            "auto_resolve": spec.auto_resolve,
            "detected_at": min(spec.detected_at, now),
            "triggered_at": now,
            "acknowledged_at": None,
            "mitigated_at": None,
            "resolved_at": None,
            "closed_at": None,
            "last_alert_at": now,
            "created_by": actor,
        }
        for spec, placeholder in zip(specs, placeholders, strict=True)
    ]
    # Matched back by placeholder rather than with sort_by_parameter_order, which SQLite can
    # only honour by inserting one row per statement.
    returned = {
        incident.human_id: incident
        for incident in session.scalars(insert(Incident).returning(Incident), rows)
    }
    incidents = [returned[placeholder] for placeholder in placeholders]
    session.info.setdefault(_UNNUMBERED, []).extend(incidents)
    append_many(
        session,
        [
            (
                incident.id,
                TimelineItem(
                    "incident.triggered",
                    actor,
                    f"Incident opened: {incident.title}",
                    {"severity": incident.severity},
                ),
            )
            for incident in incidents
        ],
        at=now,
    )
    reactions.opened(session, incidents, at=now)
    return incidents


def get(session: Session, ref: str | int, *, for_update: bool = False) -> Incident:
    """Find by number (``42``) or human id (``INC-20261122-3``)."""
    stmt = select(Incident)
    text_ref = str(ref).strip()
    number = _plain_number(text_ref)
    if number is not None:
        if not 1 <= number <= MAX_INCIDENT_ID:  # beyond the column: the driver would raise
            raise NotFound(f"incident '{text_ref}' does not exist")
        stmt = stmt.where(Incident.id == number)
    else:
        stmt = stmt.where(Incident.human_id == text_ref.upper())
    if for_update:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).one_or_none()
    if found is None:
        raise NotFound(f"incident '{text_ref}' does not exist")
    return found


def _plain_number(text: str) -> int | None:
    """``text`` as an int when it is ASCII digits only: ``str.isdigit`` is also true for
    ``'³'``, which ``int()`` refuses (a 500 if not caught here). Longer than any id: not a
    number either (``int()`` also refuses strings over 4,300 digits)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def get_many(session: Session, ids: Sequence[int], *, for_update: bool = False) -> list[Incident]:
    if not ids:
        return []
    stmt = select(Incident).where(Incident.id.in_(sorted(set(ids)))).order_by(Incident.id)
    if for_update:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


_STAMP = {
    Status.ACKNOWLEDGED: "acknowledged_at",
    Status.MITIGATED: "mitigated_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
}


def act(
    session: Session,
    incident: Incident,
    action: Action,
    *,
    actor: str,
    note: str | None = None,
    reason: str | None = None,
) -> Incident:
    """Apply a lifecycle action; raises InvalidTransition (409) naming what is allowed."""
    before = incident.status
    after = lifecycle.transition(before, action)
    now = clock.now()
    incident.status = after
    stamp = _STAMP.get(after)
    if stamp and (getattr(incident, stamp) is None or after in (Status.RESOLVED, Status.CLOSED)):
        setattr(incident, stamp, now)
    if action is Action.REOPEN:
        incident.resolved_at = None
        incident.mitigated_at = None
        incident.last_alert_at = now
    data: dict[str, Any] = {"from": before.value, "to": after.value}
    if reason:
        data["reason"] = reason
    message = f"{action.value.capitalize()}d" if action is not Action.REOPEN else "Reopened"
    if action is Action.ACKNOWLEDGE:
        message = "Acknowledged"
    if reason:
        message += f" ({reason})"
    items = [TimelineItem(f"incident.{after.value}", actor, message, data)]
    if note:
        items.append(TimelineItem("note", actor, _clean_note(note), {"kind": "fact"}))
    session.flush()
    append(session, incident.id, items, at=now)
    reactions.status_changed(session, incident, after, actor)
    return incident


def _clean_note(text: str) -> str:
    body = text.strip()
    if not body:
        raise ValidationFailed("the note is empty")
    if len(body) > NOTE_MAX:
        raise ValidationFailed(f"the note is longer than {NOTE_MAX} characters")
    return body


NOTE_KINDS = ("fact", "inference", "action", "decision")


def add_note(
    session: Session, incident: Incident, *, actor: str, text: str, kind: str = "fact"
) -> None:
    if kind not in NOTE_KINDS:
        raise ValidationFailed(f"unknown note kind '{kind}'; use {', '.join(NOTE_KINDS)}")
    append(session, incident.id, [TimelineItem("note", actor, _clean_note(text), {"kind": kind})])


def change_severity(
    session: Session, incident: Incident, *, actor: str, new: str, reason: str | None = None
) -> Incident:
    try:
        target = severity.normalize(new)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    if target == incident.severity:
        return incident
    before = incident.severity
    incident.severity = target
    session.flush()
    message = f"Severity changed from {before} to {target}"
    if reason:
        message += f": {reason.strip()[:500]}"
    append(
        session,
        incident.id,
        [TimelineItem("incident.severity", actor, message, {"from": before, "to": target})],
    )
    reactions.severity_changed(session, incident, actor)
    return incident


def alerts_attached_many(
    session: Session,
    attached: Sequence[tuple[Incident, Sequence[reactions.AttachedAlert]]],
) -> None:
    """New alerts joined these incidents (a batch of intake): recorded for runbook linking."""
    reactions.alerts_attached(session, attached)


def raise_severity_to(session: Session, incident: Incident, new: str, *, actor: str) -> None:
    """Alerts only ever raise an incident's severity; lowering it is a human decision."""
    if severity.rank(new) < severity.rank(incident.severity):
        change_severity(session, incident, actor=actor, new=new, reason="a more severe alert")


def find_groupable_many(
    session: Session, groups: Sequence[tuple[int, str]]
) -> dict[tuple[int, str], Incident]:
    """The newest incident that is not closed of each ``(service_id, group_key)``, keyed by
    ``(service_id, group_key[:1024])`` and locked (in id order) for the caller to decide."""
    wanted = sorted({(service_id, key[:1024]) for service_id, key in groups})
    found: dict[tuple[int, str], Incident] = {}
    for start in range(0, len(wanted), _GROUP_CHUNK):
        part = wanted[start : start + _GROUP_CHUNK]
        newest = (
            select(func.max(Incident.id))
            .where(
                tuple_(Incident.service_id, Incident.group_key).in_(part),
                Incident.status != Status.CLOSED,
            )
            .group_by(Incident.service_id, Incident.group_key)
        )
        stmt = (
            select(Incident)
            .where(Incident.id.in_(newest), Incident.status != Status.CLOSED)
            .order_by(Incident.id)
            .with_for_update()
        )
        for incident in session.scalars(stmt):
            found[(incident.service_id, incident.group_key)] = incident
    return found


_GROUP_CHUNK = 500


def touch_alert_activity(
    session: Session, incident: Incident, detected_at: datetime, *, flush: bool = True
) -> None:
    """New alerts joined ``incident``. ``flush=False`` leaves the UPDATE to the session's next
    flush, so that a batch touching many incidents writes them together."""
    now = clock.now()
    incident.last_alert_at = now
    incident.detected_at = min(incident.detected_at, detected_at)
    if flush:
        session.flush()


def timeline(session: Session, incident_id: int) -> list[TimelineEntry]:
    return list(
        session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.incident_id == incident_id)
            .order_by(TimelineEntry.id)
        )
    )


@dataclass(frozen=True)
class Page:
    items: list[Incident]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        number = _plain_number(value)
        if prefix != "id" or number is None or number > MAX_INCIDENT_ID:
            raise ValueError(prefix)
        return number
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("cursor: not a cursor returned by this API") from None


def list_incidents(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    severities: Sequence[str] = (),
    service_ids: Sequence[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
    visible: ColumnElement[bool] | None = None,
) -> Page:
    """``visible``: who is asking, as ``visibility.visible_clause`` (None: everything)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit: must be between 1 and {MAX_PAGE}")
    stmt = select(Incident)
    if visible is not None:
        stmt = stmt.where(visible)
    wanted: set[str] = set()
    for s in statuses:
        if s == "open":
            wanted |= {st.value for st in lifecycle.OPEN_STATES}
        elif s in {st.value for st in Status}:
            wanted.add(s)
        else:
            raise ValidationFailed(
                f"status: unknown status '{s}'; use open or {', '.join(st.value for st in Status)}"
            )
    if wanted:
        stmt = stmt.where(Incident.status.in_(sorted(wanted)))
    if severities:
        try:
            sev = sorted({severity.normalize(s) for s in severities})
        except ValueError as exc:
            raise ValidationFailed(f"severity: {exc}") from None
        stmt = stmt.where(Incident.severity.in_(sev))
    if service_ids is not None:
        stmt = stmt.where(Incident.service_id.in_(service_ids))
    if since:
        stmt = stmt.where(Incident.triggered_at >= since)
    if until:
        stmt = stmt.where(Incident.triggered_at < until)
    if cursor:
        stmt = stmt.where(Incident.id < decode_cursor(cursor))
    rows = list(session.scalars(stmt.order_by(Incident.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=encode_cursor(rows[-1].id) if more and rows else None)


def open_counts_by_severity(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Incident.severity, func.count())
        .where(Incident.status.in_([s.value for s in lifecycle.OPEN_STATES]))
        .group_by(Incident.severity)
    )
    counts = dict.fromkeys(severity.SEVERITY_NAMES, 0)
    counts.update({sev: int(n) for sev, n in rows.tuples()})
    return counts
