"""Applying ``routines:`` and ``shift_checklists:``: create or update by slug / schedule.

A file that does not name a section leaves it alone. With ``--prune``, routines and
checklists declared by an earlier file (``origin = 'config'``) and missing from this one are
removed — a removed routine takes its tasks (and their KPI history) with it, which is why it
waits for ``--prune`` instead of following every edit of the file. Routines and checklists
created over the API are never touched.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.configfile.common import Change
from plantao.errors import DomainError
from plantao.oncall import routines, shift_checklists
from plantao.oncall.models import OncallSchedule
from plantao.oncall.routine_models import Routine, ShiftChecklist
from plantao.oncall.routines import RoutineIn

__all__ = ["apply_routines"]


def _routine(session: Session, spec: Any) -> Change:
    wanted = RoutineIn(
        slug=spec.slug,
        title_en=spec.title.en,
        title_pt=spec.title.pt_br,
        recurrence=spec.recurrence(),
        team=spec.team,
        schedule=spec.schedule,
        remind_after_seconds=spec.remind_after_seconds(),
    )
    try:
        action = routines.put(session, wanted, origin="config")
    except DomainError as exc:
        raise LookupError(f"routines: '{spec.slug}': {exc.detail}") from None
    return Change("routine", action, spec.slug)


def apply_routines(session: Session, config: Any, *, prune: bool = False) -> list[Change]:
    changes: list[Change] = []
    declared = getattr(config, "routines", None)
    if declared is not None:
        changes += [_routine(session, spec) for spec in declared]
    checklists = getattr(config, "shift_checklists", None)
    if checklists is not None:
        for spec in checklists:
            items = [i.as_item() for i in spec.items]
            try:
                action = shift_checklists.put(session, spec.schedule, items, origin="config")
            except DomainError as exc:
                raise LookupError(f"shift_checklists: '{spec.schedule}': {exc.detail}") from None
            changes.append(Change("shift checklist", action, spec.schedule))
    if prune:
        changes += _prune(session, declared, checklists)
    return [c for c in changes if c.action != "keep"]


def _prune(session: Session, declared: Any, checklists: Any) -> list[Change]:
    changes: list[Change] = []
    keep = {r.slug for r in declared or []}
    for row in session.scalars(select(Routine).where(Routine.origin == "config")):
        if row.slug not in keep:
            routines.remove(session, row.slug)
            changes.append(Change("routine", "delete", row.slug))
    listed = {c.schedule for c in checklists or []}
    rows = session.execute(
        select(OncallSchedule.slug)
        .join(ShiftChecklist, ShiftChecklist.schedule_id == OncallSchedule.id)
        .where(ShiftChecklist.origin == "config")
    ).scalars()
    for slug in list(rows):
        if slug not in listed:
            shift_checklists.reset(session, slug)
            changes.append(Change("shift checklist", "delete", slug))
    return changes
