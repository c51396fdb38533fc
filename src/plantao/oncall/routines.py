"""Recurring operational routines (seed 003 §7.1–7.4) and the tasks they create.

A routine (daily alert review, weekly cost against budget, monthly restore test and key
rotation, quarterly DR drill) is declared in ``plantao.yaml`` or over the API. At each due
instant (:mod:`plantao.oncall.routine_recurrence`) the engine creates one task, assigned to
whoever is on call on the routine's schedule (or the first schedule paging the owner team),
sends them a message, and reminds them once ``remind_after`` later if it is still not done.

Exactly once with several engines: a task is the row ``(routine_id, due_at)`` under a unique
constraint, inserted with ``ON CONFLICT DO NOTHING``; only the engine whose insert returned a
row sends the message. The reminder is claimed by ``UPDATE … WHERE reminded_at IS NULL``, so
it too goes out once. An engine that was down for days creates only the latest occurrence: a
pile of stale "daily review" tasks helps nobody, and the KPI counts what fell due while the
platform was running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plantao import clock
from plantao.db import is_postgres
from plantao.errors import Conflict, NotFound, ValidationFailed
from plantao.notify import person_messages
from plantao.notify.person_messages import PersonMessage
from plantao.oncall import rotation, schedules
from plantao.oncall.models import OncallSchedule
from plantao.oncall.routine_models import Routine, RoutineTask
from plantao.oncall.routine_recurrence import from_dict, latest_at_or_before
from plantao.oncall.service import schedule_team_ids
from plantao.people.models import Team, User

STEP = "routine"


@dataclass(frozen=True)
class RoutineIn:
    """A routine as declared (validated at the edge; ``recurrence`` checked again here)."""

    slug: str
    title_en: str
    title_pt: str
    recurrence: dict[str, Any]
    team: str
    schedule: str | None = None
    remind_after_seconds: int = 3600


def _rule(recurrence: dict[str, Any]) -> dict[str, Any]:
    try:
        return from_dict(recurrence).to_dict()
    except ValueError as exc:
        raise ValidationFailed(
            f"recurrence: {exc}", errors=[{"field": "recurrence", "message": str(exc)}]
        ) from None


def put(session: Session, spec: RoutineIn, *, origin: str = "api") -> str:
    """Create or update a routine by slug; returns create, update or keep."""
    team_id = session.scalars(select(Team.id).where(Team.slug == spec.team)).one_or_none()
    if team_id is None:
        raise ValidationFailed(
            f"team: unknown team '{spec.team}'", errors=[{"field": "team", "message": "unknown"}]
        )
    schedule_id = None
    if spec.schedule:
        try:
            schedule_id = schedules.get(session, spec.schedule).id
        except NotFound as exc:
            raise ValidationFailed(
                f"schedule: {exc.detail}", errors=[{"field": "schedule", "message": "unknown"}]
            ) from None
    if not 60 <= spec.remind_after_seconds <= 30 * 86400:
        raise ValidationFailed(
            "remind_after: between 1 minute and 30 days",
            errors=[{"field": "remind_after", "message": "between 1 minute and 30 days"}],
        )
    values: dict[str, Any] = {
        "title_en": spec.title_en.strip(),
        "title_pt": spec.title_pt.strip(),
        "recurrence": _rule(spec.recurrence),
        "team_id": team_id,
        "schedule_id": schedule_id,
        "remind_after_seconds": spec.remind_after_seconds,
        "origin": origin,
    }
    now = clock.now()
    row = session.scalars(select(Routine).where(Routine.slug == spec.slug)).one_or_none()
    if row is None:
        session.add(Routine(slug=spec.slug, created_at=now, updated_at=now, **values))
        session.flush()
        return "create"
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        row.updated_at = now
    session.flush()
    return "update" if changed else "keep"


def remove(session: Session, slug: str) -> None:
    """Delete a routine and its tasks (their completion leaves the KPIs with them)."""
    gone = session.execute(delete(Routine).where(Routine.slug == slug)).rowcount  # type: ignore[attr-defined]
    if not gone:
        raise NotFound(f"routine '{slug}' does not exist")
    session.flush()


def get(session: Session, slug: str) -> Routine:
    row = session.scalars(select(Routine).where(Routine.slug == slug)).one_or_none()
    if row is None:
        raise NotFound(f"routine '{slug}' does not exist")
    return row


def list_routines(session: Session) -> list[Routine]:
    return list(session.scalars(select(Routine).order_by(Routine.slug)))


def _schedule_for(session: Session, routine: Routine) -> OncallSchedule | None:
    if routine.schedule_id is not None:
        return session.get(OncallSchedule, routine.schedule_id)
    for row in schedules.list_schedules(session):
        if routine.team_id in schedule_team_ids(session, row.slug):
            return row
    return None


def assignee(session: Session, routine: Routine, at: datetime) -> User | None:
    """The first person on call at ``at`` on the routine's schedule (None: nobody)."""
    schedule = _schedule_for(session, routine)
    if schedule is None:
        return None
    handles = rotation.who_is_on_call(schedules.to_pure(session, schedule), at)
    if not handles:
        return None
    return session.scalars(select(User).where(User.handle == handles[0])).one_or_none()


def _message(routine: Routine, task_id: int, user: User, *, reminder: bool) -> PersonMessage:
    portuguese = user.language == "pt-BR"
    title = routine.title_pt if portuguese else routine.title_en
    if portuguese:
        head = "Lembrete: rotina pendente" if reminder else "Rotina a fazer"
        text = f"{head}: {title}. Marque como feita no Plantão (tarefa RT-{task_id})."
    else:
        head = "Reminder: routine still open" if reminder else "Routine due"
        text = f"{head}: {title}. Mark it done in Plantão (task RT-{task_id})."
    return PersonMessage(
        subject=f"[Plantão] {head}: {title}",
        text=text,
        ref=f"RT-{task_id}",
        step=STEP,
        reason="routine reminder" if reminder else "routine due",
    )


def create_due_tasks(session: Session) -> int:
    """Create the task of each routine's latest due occurrence that has none; returns how
    many were created (and messaged)."""
    now = clock.now()
    builder = postgresql.insert if is_postgres(session) else sqlite.insert
    created = 0
    for routine in list_routines(session):
        due = latest_at_or_before(from_dict(routine.recurrence), now)
        if due < routine.created_at:
            continue
        exists = session.scalars(
            select(RoutineTask.id).where(
                RoutineTask.routine_id == routine.id, RoutineTask.due_at == due
            )
        ).first()
        if exists is not None:
            continue
        user = assignee(session, routine, due)
        stmt = (
            builder(RoutineTask)
            .values(
                routine_id=routine.id,
                due_at=due,
                assignee_user_id=user.id if user else None,
                created_at=now,
                note="",
            )
            .on_conflict_do_nothing(index_elements=[RoutineTask.routine_id, RoutineTask.due_at])
            .returning(RoutineTask.id)
        )
        task_id = session.execute(stmt).scalar_one_or_none()
        if task_id is None:
            continue  # another engine created it
        created += 1
        if user is not None:
            message = _message(routine, task_id, user, reminder=False)
            person_messages.send(session, user, message, f"routine-task:{task_id}")
    session.flush()
    return created


def remind_overdue(session: Session) -> int:
    """Remind, once, the assignee of each open task past its routine's ``remind_after``."""
    now = clock.now()
    rows = session.execute(
        select(RoutineTask, Routine)
        .join(Routine, Routine.id == RoutineTask.routine_id)
        .where(
            RoutineTask.done_at.is_(None),
            RoutineTask.reminded_at.is_(None),
            RoutineTask.assignee_user_id.is_not(None),
            RoutineTask.due_at <= now,
        )
    ).all()
    sent = 0
    for task, routine in rows:
        if task.due_at + timedelta(seconds=routine.remind_after_seconds) > now:
            continue
        claimed = session.execute(
            update(RoutineTask)
            .where(RoutineTask.id == task.id, RoutineTask.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if not claimed:
            continue
        user = session.get(User, task.assignee_user_id)
        if user is not None:
            message = _message(routine, task.id, user, reminder=True)
            person_messages.send(session, user, message, f"routine-reminder:{task.id}")
            sent += 1
    session.flush()
    return sent


def mark_done(session: Session, task_id: int, *, actor: str, note: str = "") -> RoutineTask:
    """Mark a task done; a task already done is a 409 (who did it stays on record)."""
    task = session.get(RoutineTask, task_id)
    if task is None:
        raise NotFound(f"routine task RT-{task_id} does not exist")
    if task.done_at is not None:
        raise Conflict(f"routine task RT-{task_id} was already done by {task.done_by}")
    task.done_at = clock.now()
    task.done_by = actor[:200]
    task.note = note.strip()[:4000]
    session.flush()
    return task


def reopen(session: Session, task_id: int) -> RoutineTask:
    """Undo a mistaken "done" (the task counts as open again)."""
    task = session.get(RoutineTask, task_id)
    if task is None:
        raise NotFound(f"routine task RT-{task_id} does not exist")
    task.done_at = None
    task.done_by = None
    session.flush()
    return task


def tasks(
    session: Session,
    *,
    assignee_user_id: int | None = None,
    routine: str | None = None,
    open_only: bool = False,
    limit: int = 100,
) -> list[tuple[RoutineTask, Routine]]:
    """Tasks, newest due first, optionally of one assignee or routine, or only the open ones."""
    query = select(RoutineTask, Routine).join(Routine, Routine.id == RoutineTask.routine_id)
    if assignee_user_id is not None:
        query = query.where(RoutineTask.assignee_user_id == assignee_user_id)
    if routine is not None:
        query = query.where(Routine.slug == routine)
    if open_only:
        query = query.where(RoutineTask.done_at.is_(None))
    query = query.order_by(RoutineTask.due_at.desc(), RoutineTask.id.desc()).limit(limit)
    return [(task, owner) for task, owner in session.execute(query).all()]
