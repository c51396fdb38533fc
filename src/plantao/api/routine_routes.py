"""Recurring operational routines and their tasks over the API (seed 003 §7).

``GET /api/v1/routines`` lists them with the next due instant; ``PUT|DELETE
/api/v1/routines/{slug}`` declare or remove one (manager of its owner team; ``plantao apply``
declares the same objects). ``GET /api/v1/routine-tasks`` lists tasks (``?mine=true``,
``?open=true``, ``?routine=``); ``POST /api/v1/routine-tasks/{id}/done`` ``{"note"}`` marks one
done (its assignee, or a responder of the owner team; twice: 409) and ``…/reopen`` undoes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.api.params import Id
from plantao.auth.principal import Principal
from plantao.auth.roles import WRITING, Need
from plantao.errors import NotFound, PermissionDenied
from plantao.oncall import routines
from plantao.oncall.models import OncallSchedule
from plantao.oncall.routine_models import Routine, RoutineTask
from plantao.oncall.routine_recurrence import from_dict, next_after
from plantao.people.models import Team, User

router = APIRouter(prefix="/api/v1", tags=["routines"], responses=problem_responses())

Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class RecurrenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    every: Literal["daily", "weekly", "monthly", "quarterly"]
    at: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    time_zone: str = Field(default="UTC", max_length=64)
    weekday: str | None = Field(default=None, max_length=16)
    day: int | None = Field(default=None, ge=1, le=31)


class RoutineIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)
    title_en: str = Field(min_length=1, max_length=200)
    title_pt: str = Field(alias="title_pt-BR", min_length=1, max_length=200)
    recurrence: RecurrenceIn
    team: str = Field(min_length=1, max_length=64)
    schedule: str | None = Field(default=None, max_length=64)
    remind_after_seconds: int = Field(default=3600, ge=60, le=30 * 86400)


class RoutineOut(BaseModel):
    slug: str
    title_en: str
    title_pt: str
    recurrence: dict[str, Any]
    team: str
    schedule: str | None
    remind_after_seconds: int
    origin: str
    next_due_at: datetime


class TaskOut(BaseModel):
    id: int
    ref: str
    routine: str
    title_en: str
    title_pt: str
    due_at: datetime
    assignee: str | None
    reminded_at: datetime | None
    done_at: datetime | None
    done_by: str | None
    note: str


class DoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=4000)


def _routine_out(session: Session, row: Routine) -> RoutineOut:
    team = session.get(Team, row.team_id)
    schedule = session.get(OncallSchedule, row.schedule_id) if row.schedule_id else None
    return RoutineOut(
        slug=row.slug,
        title_en=row.title_en,
        title_pt=row.title_pt,
        recurrence=row.recurrence,
        team=team.slug if team else "",
        schedule=schedule.slug if schedule else None,
        remind_after_seconds=row.remind_after_seconds,
        origin=row.origin,
        next_due_at=next_after(from_dict(row.recurrence), clock.now()),
    )


def task_out(session: Session, task: RoutineTask, routine: Routine) -> TaskOut:
    handle = None
    if task.assignee_user_id is not None:
        handle = session.scalars(
            select(User.handle).where(User.id == task.assignee_user_id)
        ).first()
    return TaskOut(
        id=task.id,
        ref=f"RT-{task.id}",
        routine=routine.slug,
        title_en=routine.title_en,
        title_pt=routine.title_pt,
        due_at=task.due_at,
        assignee=handle,
        reminded_at=task.reminded_at,
        done_at=task.done_at,
        done_by=task.done_by,
        note=task.note,
    )


def _team_id(session: Session, slug: str) -> int:
    team_id = session.scalars(select(Team.id).where(Team.slug == slug)).one_or_none()
    if team_id is None:
        raise NotFound(f"team '{slug}' does not exist")
    return team_id


@router.get("/routines", response_model=list[RoutineOut])
def list_routines(session: SessionDep, who: Viewer) -> list[RoutineOut]:
    """Every routine with when it next falls due."""
    return [_routine_out(session, r) for r in routines.list_routines(session)]


@router.put("/routines/{slug}", response_model=RoutineOut)
def put_routine(slug: Slug, body: RoutineIn, session: SessionDep, who: Viewer) -> RoutineOut:
    """Create or change a routine (manager of its owner team, and of the old one if it moves)."""
    if not who.can(Need.MANAGE, _team_id(session, body.team)):
        raise PermissionDenied("this needs the manager role on the routine's team")
    existing = session.scalars(select(Routine).where(Routine.slug == slug)).one_or_none()
    if existing is not None and not who.can(Need.MANAGE, existing.team_id):
        raise PermissionDenied("this needs the manager role on the routine's current team")
    spec = routines.RoutineIn(
        slug=slug,
        title_en=body.title_en,
        title_pt=body.title_pt,
        recurrence=body.recurrence.model_dump(exclude_none=True),
        team=body.team,
        schedule=body.schedule,
        remind_after_seconds=body.remind_after_seconds,
    )
    routines.put(session, spec)
    session.commit()
    return _routine_out(session, routines.get(session, slug))


@router.delete("/routines/{slug}", status_code=204)
def delete_routine(slug: Slug, session: SessionDep, who: Viewer) -> Response:
    """Remove a routine and its tasks."""
    row = routines.get(session, slug)
    if not who.can(Need.MANAGE, row.team_id):
        raise PermissionDenied("this needs the manager role on the routine's team")
    routines.remove(session, slug)
    session.commit()
    return Response(status_code=204)


@router.get("/routine-tasks", response_model=list[TaskOut])
def list_tasks(
    session: SessionDep,
    who: Viewer,
    mine: bool = False,
    open: bool = False,
    routine: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TaskOut]:
    """Tasks, newest due first."""
    rows = routines.tasks(
        session,
        assignee_user_id=who.user_id if mine else None,
        routine=routine,
        open_only=open,
        limit=limit,
    )
    return [task_out(session, task, owner) for task, owner in rows]


def _to_act(session: Session, task_id: int, who: Principal) -> RoutineTask:
    who.access.require_scope(WRITING, "changing a routine task")
    task = session.get(RoutineTask, task_id)
    if task is None:
        raise NotFound(f"routine task RT-{task_id} does not exist")
    routine = session.get(Routine, task.routine_id)
    assert routine is not None
    mine = task.assignee_user_id == who.user_id and who.can(Need.READ)
    if not mine and not who.can(Need.RESPOND, routine.team_id):
        raise PermissionDenied("this is the assignee's task, or a responder's of its team")
    return task


@router.post("/routine-tasks/{task_id}/done", response_model=TaskOut)
def mark_done(task_id: Id, body: DoneIn, session: SessionDep, who: Viewer) -> TaskOut:
    """Mark a task done (a task already done: 409)."""
    _to_act(session, task_id, who)
    task = routines.mark_done(session, task_id, actor=who.handle, note=body.note)
    routine = session.get(Routine, task.routine_id)
    assert routine is not None
    out = task_out(session, task, routine)
    session.commit()
    return out


@router.post("/routine-tasks/{task_id}/reopen", response_model=TaskOut)
def reopen(task_id: Id, session: SessionDep, who: Viewer) -> TaskOut:
    """Undo a mistaken "done"."""
    _to_act(session, task_id, who)
    task = routines.reopen(session, task_id)
    routine = session.get(Routine, task.routine_id)
    assert routine is not None
    out = task_out(session, task, routine)
    session.commit()
    return out
