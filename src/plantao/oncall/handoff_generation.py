"""Drafting the handoffs that are due: one per schedule and shift change, ahead of time.

A handoff for the change at ``T`` is drafted once ``now >= T - lead`` and is still drafted
when an engine was down until ``T + send_after`` (after that, a note about a shift long over
would only confuse). The row's unique ``(schedule_id, handoff_at)`` makes drafting
idempotent: two engines drafting the same change insert one row (``ON CONFLICT DO NOTHING``),
and a schedule already drafted is skipped before anything is gathered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao.db import is_postgres
from plantao.oncall import schedules
from plantao.oncall.handoff_boundaries import Boundary, boundaries, shift_start
from plantao.oncall.handoff_gather import Extras, gather
from plantao.oncall.handoff_models import Handoff
from plantao.oncall.handoff_settings import HandoffSettings
from plantao.oncall.models import OncallSchedule

__all__ = ["draft", "generate_due"]


def draft(
    session: Session,
    row: OncallSchedule,
    boundary: Boundary,
    settings: HandoffSettings,
    now: datetime,
    extras: Extras | None = None,
) -> bool:
    """Insert the draft for ``boundary``; False when it already existed."""
    pure = schedules.to_pure(session, row)
    facts = gather(
        session,
        row,
        shift_start=shift_start(pure, boundary.at),
        handoff_at=boundary.at,
        outgoing=boundary.outgoing,
        incoming=boundary.incoming,
        now=now,
        extras=extras,
    )
    values = {
        "schedule_id": row.id,
        "handoff_at": boundary.at,
        "outgoing": list(boundary.outgoing),
        "incoming": list(boundary.incoming),
        "status": "draft",
        "facts": facts.to_dict(),
        "notes": "",
        "send_at": boundary.at + settings.send_after,
        "recipients": [],
        "created_at": now,
    }
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    stmt = (
        builder(Handoff)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Handoff.schedule_id, Handoff.handoff_at])
        .returning(Handoff.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def generate_due(
    session: Session, now: datetime, settings: HandoffSettings, extras: Extras | None = None
) -> int:
    """Draft every handoff due at ``now`` across all schedules; returns how many were new."""
    if not settings.enabled:
        return 0
    start, end = now - settings.send_after, now + settings.lead
    made = 0
    for row in schedules.list_schedules(session):
        found = boundaries(schedules.to_pure(session, row), start, end)
        if not found:
            continue
        have = set(
            session.scalars(
                select(Handoff.handoff_at).where(
                    Handoff.schedule_id == row.id,
                    Handoff.handoff_at >= start,
                    Handoff.handoff_at <= end,
                )
            )
        )
        for boundary in found:
            if boundary.at not in have and draft(session, row, boundary, settings, now, extras):
                made += 1
    session.flush()
    return made
