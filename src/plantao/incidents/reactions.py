"""Facts about incidents that higher domains react to, recorded for the engine's reaction step.

Why markers and not calls: on-call (start or stop an escalation, cancel pages) and runbooks
(link runbooks) are built on incidents, so incidents may not call them. A change writes one
``incident_reactions`` row per incident in its own transaction (so a rollback undoes both, and a
committed change is never without its marker) and wakes the engines; the engine's reaction step
(``plantao.engine.reactions``) claims markers in batches and reconciles from the current state
with a few set-based statements, then deletes them. See docs/engine.md, "Reactions".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, delete, exists, insert, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import is_postgres, wake_engines
from plantao.incidents.lifecycle import Status
from plantao.incidents.models import Incident, IncidentReaction

OPENED = "opened"
STATUS = "status"
ALERTS = "alerts"
SEVERITY = "severity"


@dataclass(frozen=True)
class AttachedAlert:
    """A new alert of an incident, as runbook linking needs it."""

    identity: str
    summary: str
    severity: str
    labels: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, Any] = field(default_factory=dict)


_HELD = "plantao.reactions_held"


def hold_in_memory(session: Session) -> None:
    """Keep this transaction's ``opened`` and ``alerts`` markers in memory instead of writing
    them, for a caller that reacts to them before it commits (``held``).

    Why: the engine's inbox step reacts to the incidents it opened in its own transaction; a
    marker row there would be inserted, read back and deleted again without anyone else ever
    seeing it (three statements and the alerts' labels encoded twice per batch, a third of the
    cost of opening an incident). ``status`` markers are always written: delivery reads them to
    recognise a stale page.
    """
    session.info[_HELD] = []


def held(session: Session) -> list[IncidentReaction]:
    """The markers kept by :func:`hold_in_memory` (transient rows, never added to the session),
    handed over once: holding stops."""
    rows: list[dict[str, Any]] = session.info.pop(_HELD, None) or []
    return [IncidentReaction(id=None, **row) for row in rows]


_COLUMNS = ("incident_id", "kind", "status", "actor", "alerts", "created_at")


def write(session: Session, markers: Sequence[IncidentReaction]) -> None:
    """Write held markers after all (their reaction failed): the reaction step takes them over."""
    _insert(session, [{c: getattr(m, c) for c in _COLUMNS} for m in markers])


def _insert(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(IncidentReaction), rows)
        wake_engines(session)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    kept = session.info.get(_HELD)
    if kept is not None and all(row["kind"] != STATUS for row in rows):
        kept.extend(rows)
        return
    _insert(session, rows)


def opened(session: Session, incidents: Sequence[Incident], *, at: datetime | None = None) -> None:
    """These incidents were opened in this transaction (one INSERT for all of them)."""
    when = at or clock.now()
    _write(
        session,
        [
            {"incident_id": i.id, "kind": OPENED, "status": None, "actor": None, "alerts": None}
            | {"created_at": when}
            for i in incidents
        ],
    )


def status_changed(session: Session, incident: Incident, after: Status, actor: str) -> None:
    """A lifecycle transition to ``after`` was applied by ``actor``."""
    _write(
        session,
        [
            {
                "incident_id": incident.id,
                "kind": STATUS,
                "status": after.value,
                "actor": actor[:200],
                "alerts": None,
                "created_at": clock.now(),
            }
        ],
    )


def severity_changed(session: Session, incident: Incident, actor: str) -> None:
    """The incident's severity changed (its update cadence follows the new interval)."""
    _write(
        session,
        [
            {
                "incident_id": incident.id,
                "kind": SEVERITY,
                "status": None,
                "actor": actor[:200],
                "alerts": None,
                "created_at": clock.now(),
            }
        ],
    )


def alerts_attached(
    session: Session, attached: Iterable[tuple[Incident, Sequence[AttachedAlert]]]
) -> None:
    """New alerts (not refreshes) joined these incidents: one marker per incident, one INSERT."""
    now = clock.now()
    _write(
        session,
        [
            {
                "incident_id": incident.id,
                "kind": ALERTS,
                "status": None,
                "actor": None,
                "alerts": [
                    {"labels": dict(a.labels), "annotations": dict(a.annotations)} for a in alerts
                ],
                "created_at": now,
            }
            for incident, alerts in attached
            if alerts
        ],
    )


def claim(session: Session, limit: int) -> list[IncidentReaction]:
    """The oldest ``limit`` markers, locked for this transaction.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so engines running at once claim disjoint markers
    and each marker is reacted to by exactly one of them. SQLite runs one writer at a time.
    """
    stmt = select(IncidentReaction).order_by(IncidentReaction.id).limit(limit)
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def forget(session: Session, markers: Sequence[IncidentReaction]) -> None:
    """Delete markers once reacted to (in the same transaction as the reaction)."""
    ids = [m.id for m in markers]
    for start in range(0, len(ids), 1000):
        session.execute(
            delete(IncidentReaction)
            .where(IncidentReaction.id.in_(ids[start : start + 1000]))
            .execution_options(synchronize_session=False)
        )


def left_triggered_since(
    incident_id: SQLColumnExpression[Any],
    since: SQLColumnExpression[Any],
    *,
    among: Sequence[int] | None = None,
) -> ColumnElement[bool]:
    """SQL: a marker says the incident moved to a state other than triggered at or after
    ``since``. ``among``: only these markers (the ones a reaction step claimed); otherwise any
    marker still pending.

    What makes a queued page stale: it was written before someone acknowledged (mitigated,
    resolved, closed) the incident. Delivery checks it when it leases, and the reaction step
    cancels such pages, so an acknowledgement stops pages from the moment it commits.
    """
    clauses = [
        IncidentReaction.incident_id == incident_id,
        IncidentReaction.kind == STATUS,
        IncidentReaction.status != Status.TRIGGERED.value,
        IncidentReaction.created_at >= since,
    ]
    if among is not None:
        clauses.append(IncidentReaction.id.in_(among))
    return exists().where(and_(*clauses))
