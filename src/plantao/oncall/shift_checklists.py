"""Shift checklists per schedule and the ticks of whoever is on call (seed 003 §11.1–11.3).

Why ticks are keyed by the shift's start: a checklist is done once per shift, and the same
person's next shift starts empty; two people on call on one schedule share the ticks (they
share the shift's duties). The current shift is read from the schedule at request time, so an
override that hands the shift to someone else hands over its checklist too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.oncall import rotation, schedules
from plantao.oncall.models import OncallSchedule
from plantao.oncall.routine_models import ShiftChecklist, ShiftTick
from plantao.oncall.shift_checklist_defaults import check_items, default_items

#: How far back a shift in progress is looked for (longer shifts show this much of it).
_LOOKBACK = timedelta(days=35)


@dataclass(frozen=True)
class MyShift:
    """One schedule on which the person is on call now, with its checklist and ticks."""

    schedule: str
    schedule_name: str
    start: datetime
    end: datetime | None
    items: list[dict[str, Any]]
    declared: bool
    ticked: dict[str, datetime]


def items_for(session: Session, schedule_id: int) -> tuple[list[dict[str, Any]], bool]:
    """The schedule's checklist and whether it was declared (False: the seed's default)."""
    row = session.get(ShiftChecklist, schedule_id)
    return (list(row.items), True) if row is not None else (default_items(), False)


def put(session: Session, slug: str, items: list[dict[str, Any]], *, origin: str = "api") -> str:
    """Declare a schedule's checklist; returns create, update or keep."""
    problems = check_items(items)
    if problems:
        raise ValidationFailed(
            "the checklist is not valid",
            errors=[
                {"field": p.split(":", 1)[0], "message": p.split(": ", 1)[-1]} for p in problems
            ],
        )
    schedule = schedules.get(session, slug)
    clean = [
        {"key": i["key"], "phase": i["phase"], "en": i["en"].strip(), "pt-BR": i["pt-BR"].strip()}
        for i in items
    ]
    row = session.get(ShiftChecklist, schedule.id)
    if row is None:
        session.add(
            ShiftChecklist(
                schedule_id=schedule.id, items=clean, origin=origin, updated_at=clock.now()
            )
        )
        session.flush()
        return "create"
    if row.items == clean and row.origin == origin:
        return "keep"
    row.items, row.origin, row.updated_at = clean, origin, clock.now()
    session.flush()
    return "update"


def reset(session: Session, slug: str) -> bool:
    """Go back to the default checklist; False when none was declared."""
    schedule = schedules.get(session, slug)
    gone = session.execute(
        delete(ShiftChecklist).where(ShiftChecklist.schedule_id == schedule.id)
    ).rowcount  # type: ignore[attr-defined]
    session.flush()
    return bool(gone)


def _current(session: Session, row: OncallSchedule, handle: str, at: datetime) -> MyShift | None:
    pure = schedules.to_pure(session, row)
    if handle not in rotation.who_is_on_call(pure, at):
        return None
    past = [
        s
        for s in rotation.shifts(pure, at - _LOOKBACK, at + timedelta(microseconds=1))
        if s.user == handle
    ]
    start = past[-1].start if past else at
    ahead = [s for s in rotation.next_shifts(pure, at, 20) if s.user == handle]
    end = ahead[0].end if ahead else None
    items, declared = items_for(session, row.id)
    ticks = session.scalars(
        select(ShiftTick).where(ShiftTick.schedule_id == row.id, ShiftTick.shift_start == start)
    )
    return MyShift(
        schedule=row.slug,
        schedule_name=row.name,
        start=start,
        end=end,
        items=items,
        declared=declared,
        ticked={t.item: t.ticked_at for t in ticks},
    )


def my_shifts(session: Session, handle: str, at: datetime | None = None) -> list[MyShift]:
    """Every schedule on which ``handle`` is on call at ``at`` (now), ordered by slug."""
    moment = at or clock.now()
    found = [_current(session, row, handle, moment) for row in schedules.list_schedules(session)]
    return [shift for shift in found if shift is not None]


def _my_shift(session: Session, slug: str, handle: str) -> MyShift:
    row = schedules.get(session, slug)
    shift = _current(session, row, handle, clock.now())
    if shift is None:
        raise Conflict(f"you are not on call on schedule '{slug}' now")
    return shift


def tick(session: Session, slug: str, item: str, *, user_id: int, handle: str) -> MyShift:
    """Mark ``item`` done in the caller's current shift (again: no change)."""
    shift = _my_shift(session, slug, handle)
    if item not in {i["key"] for i in shift.items}:
        raise NotFound(f"the checklist of '{slug}' has no item '{item}'")
    if item not in shift.ticked:
        schedule = schedules.get(session, slug)
        session.add(
            ShiftTick(
                schedule_id=schedule.id,
                shift_start=shift.start,
                item=item,
                user_id=user_id,
                ticked_at=clock.now(),
            )
        )
        session.flush()
    return _my_shift(session, slug, handle)


def untick(session: Session, slug: str, item: str, *, handle: str) -> MyShift:
    """Take a tick back in the caller's current shift (not ticked: no change)."""
    shift = _my_shift(session, slug, handle)
    if item not in {i["key"] for i in shift.items}:
        raise NotFound(f"the checklist of '{slug}' has no item '{item}'")
    schedule = schedules.get(session, slug)
    session.execute(
        delete(ShiftTick).where(
            ShiftTick.schedule_id == schedule.id,
            ShiftTick.shift_start == shift.start,
            ShiftTick.item == item,
        )
    )
    session.flush()
    return _my_shift(session, slug, handle)
