"""What changed in the incidents since the last look: the live hub's cheap, id-based cursor.

One read (a few indexed statements in one short transaction) answers "which incidents changed"
from three tables, without triggers or a change log of our own:

- ``timeline_entries``: every change to an incident writes one (the timeline is the audit log),
  so new rows name the incidents that changed: acknowledged, noted, alerts joined, paged...
- ``incidents``: new rows are incidents opened (``new`` in the event, what the browser's
  Sev1/Sev2 sound is for).
- ``deliveries``: a delivery changes state (pending → leased → sent / retrying / dead) without a
  timeline entry, and ``Delivery`` has no ``updated_at`` to follow. Unfinished deliveries
  (pending, leased, retrying, held) are few and indexed by state, so each read takes them all
  with any row newer than the last id seen, and compares with the previous read: a row that
  appeared, changed state or attempts, or left the unfinished set names its incident.

Private incidents: each change carries whether the incident is private and, if so, who may see
it (its responders, read in the same transaction: ``incidents.visibility.audiences``), so the hub
sends its event only to those streams (and to admins).

Ids are not commit order on PostgreSQL: a transaction that took id 100 may commit after one that
took 101. An id skipped over is therefore kept as a *gap* and looked for again for
``GAP_SECONDS`` (a rolled-back insert leaves a gap that never fills; it is forgotten then).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from plantao.incidents import visibility
from plantao.incidents.models import Incident, TimelineEntry
from plantao.notify.models import UNSENT_STATES, Delivery

GAP_SECONDS = 30.0
MAX_GAPS = 2000  # per table; beyond it the oldest are forgotten (a sequence jump, not commits)
BATCH = 5000  # rows per table and read; the rest is taken by the next read
#: Deliveries still moving: unsent plus leased (being sent right now).
UNFINISHED = (*UNSENT_STATES, "leased")
_TITLE_MAX = 200


@dataclass(frozen=True)
class IncidentChange:
    """One incident that changed since the previous read. ``private``: only ``audience`` (user
    ids of its responders) and admins may be told about it."""

    id: int
    ref: str
    severity: str
    status: str
    title: str
    new: bool
    private: bool = False
    audience: frozenset[int] = frozenset()

    def visible_to(self, user_id: int | None, is_admin: bool) -> bool:
        if user_id is None:
            return not self.private
        return visibility.allows(
            private=self.private, responders=self.audience, user_id=user_id, is_admin=is_admin
        )


@dataclass
class _IdCursor:
    """The highest id seen in one table, and the ids skipped below it that may still commit."""

    last: int = 0
    gaps: dict[int, float] = field(default_factory=dict)  # id -> forget after (monotonic)

    def condition(self, column: Any) -> Any:
        newer = column > self.last
        return or_(newer, column.in_(list(self.gaps))) if self.gaps else newer

    def advance(self, ids: Sequence[int], now: float) -> None:
        for found in ids:
            self.gaps.pop(found, None)
        newer = sorted(i for i in ids if i > self.last)
        if newer:
            seen = set(newer)
            missing = (i for i in range(self.last + 1, newer[-1]) if i not in seen)
            for skipped in _first(missing, MAX_GAPS):
                self.gaps[skipped] = now + GAP_SECONDS
            self.last = newer[-1]
        expired = [i for i, until in self.gaps.items() if until <= now]
        for gone in expired:
            del self.gaps[gone]
        while len(self.gaps) > MAX_GAPS:
            del self.gaps[min(self.gaps)]


def _first(values: Iterable[int], count: int) -> list[int]:
    out: list[int] = []
    for value in values:
        if len(out) >= count:
            break
        out.append(value)
    return out


class ChangeCursor:
    """Reads what changed since the previous :meth:`read`. Not thread-safe: one poller uses it.

    The first read after construction (or :meth:`forget`) only takes the positions and reports
    nothing: history is not replayed to a browser that connects.
    """

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory
        self.forget()

    def forget(self) -> None:
        """Start over at the next read (called while nobody listens, so no poll runs)."""
        self.primed = False
        self.timeline = _IdCursor()
        self.incidents = _IdCursor()
        self.delivery_last = 0
        # id -> (incident id, state, attempts) of every unfinished delivery at the last read
        self.unfinished: dict[int, tuple[int | None, str, int]] = {}

    def read(self) -> list[IncidentChange]:
        with self.factory() as session:
            try:
                if not self.primed:
                    self._prime(session)
                    return []
                return self._changes(session)
            finally:
                session.rollback()

    def _prime(self, session: Session) -> None:
        self.timeline.last = _highest(session, TimelineEntry.id)
        self.incidents.last = _highest(session, Incident.id)
        self.delivery_last = _highest(session, Delivery.id)
        self.unfinished = self._unfinished(session)
        self.primed = True

    def _unfinished(self, session: Session) -> dict[int, tuple[int | None, str, int]]:
        rows = session.execute(
            select(Delivery.id, Delivery.incident_id, Delivery.state, Delivery.attempts).where(
                Delivery.state.in_(UNFINISHED)
            )
        ).all()
        return {r.id: (r.incident_id, r.state, r.attempts) for r in rows}

    def _changes(self, session: Session) -> list[IncidentChange]:
        now = time.monotonic()
        entries = session.execute(
            select(TimelineEntry.id, TimelineEntry.incident_id)
            .where(self.timeline.condition(TimelineEntry.id))
            .order_by(TimelineEntry.id)
            .limit(BATCH)
        ).all()
        opened = session.execute(
            select(Incident.id)
            .where(self.incidents.condition(Incident.id))
            .order_by(Incident.id)
            .limit(BATCH)
        ).all()
        touched = {r.incident_id for r in entries} | {r.id for r in opened}
        touched |= self._delivery_changes(session)
        self.timeline.advance([r.id for r in entries], now)
        self.incidents.advance([r.id for r in opened], now)
        if not touched:
            return []
        new = {r.id for r in opened}
        return self._describe(session, sorted(touched), new)

    def _delivery_changes(self, session: Session) -> set[int]:
        rows = session.execute(
            select(Delivery.id, Delivery.incident_id, Delivery.state, Delivery.attempts).where(
                or_(Delivery.state.in_(UNFINISHED), Delivery.id > self.delivery_last)
            )
        ).all()
        touched: set[int | None] = set()
        current: dict[int, tuple[int | None, str, int]] = {}
        for row in rows:
            now_state = (row.incident_id, row.state, row.attempts)
            if self.unfinished.get(row.id) != now_state:
                touched.add(row.incident_id)
            if row.state in UNFINISHED:
                current[row.id] = now_state
            self.delivery_last = max(self.delivery_last, row.id)
        for gone in self.unfinished.keys() - current.keys():
            touched.add(self.unfinished[gone][0])  # left the unfinished set: sent, dead...
        self.unfinished = current
        return {i for i in touched if i is not None}  # digests belong to no incident

    def _describe(self, session: Session, ids: list[int], new: set[int]) -> list[IncidentChange]:
        out: list[IncidentChange] = []
        for start in range(0, len(ids), 1000):
            rows = session.execute(
                select(
                    Incident.id,
                    Incident.human_id,
                    Incident.severity,
                    Incident.status,
                    Incident.title,
                    Incident.private,
                ).where(Incident.id.in_(ids[start : start + 1000]))
            ).all()
            private = [r.id for r in rows if r.private]
            audience = visibility.audiences(session, private) if private else {}
            out.extend(
                IncidentChange(
                    id=r.id,
                    ref=r.human_id,
                    severity=r.severity,
                    status=str(r.status),
                    title=r.title[:_TITLE_MAX],
                    new=r.id in new,
                    private=bool(r.private),
                    audience=audience.get(r.id, frozenset()),
                )
                for r in rows
            )
        return out


def _highest(session: Session, column: Any) -> int:
    found = session.scalar(select(column).order_by(column.desc()).limit(1))
    return int(found or 0)
