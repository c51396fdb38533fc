"""The recurring routines page (``/routines``): every routine with its rule in words, when it
next falls due, its on-time share over the last 30 days, and the most recent tasks with who had
them and whether they were done in time — what a team lead checks on Monday morning.

Read-only on purpose: a task is marked done by its assignee on "my shift" (or the API), and a
routine is declared in ``plantao.yaml``; the words "on time / late / open" are the KPI's own
(``kpis.routine_completion.task_state``), so the page and the KPI never disagree.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.kpis import routine_completion
from plantao.kpis.scope import KpiScope
from plantao.oncall import routines
from plantao.oncall.models import OncallSchedule
from plantao.oncall.routine_models import Routine
from plantao.oncall.routine_recurrence import WEEKDAYS, from_dict, next_after
from plantao.people.models import Team, User
from plantao.web import admin_common, rendering
from plantao.web.i18n import TEXTS

router = APIRouter(include_in_schema=False)

RECENT = 30


def rule_words(routine: Routine, texts: dict[str, str]) -> str:
    """The rule as a sentence in the reader's language, with its time zone."""
    rule = from_dict(routine.recurrence)
    words = texts[f"sh_every_{rule.every}"].format(
        at=rule.at.strftime("%H:%M"),
        weekday=texts[f"sh_weekday_{WEEKDAYS[rule.weekday]}"],
        day=rule.day,
    )
    return f"{words} ({rule.time_zone})"


def _page(request: Request, session: Session, principal: Principal) -> HTMLResponse:
    texts = TEXTS[rendering.lang(request)]
    now = clock.now()
    kpi = routine_completion.compute(session, KpiScope(start=now - timedelta(days=30), end=now))
    shares = {row.routine: row.on_time_share for row in kpi.rows}
    teams = dict(session.execute(select(Team.id, Team.name)).tuples().all())
    schedules = dict(session.execute(select(OncallSchedule.id, OncallSchedule.name)).tuples().all())
    rows = [
        {
            "routine": r,
            "team": teams.get(r.team_id, ""),
            "schedule": schedules.get(r.schedule_id) if r.schedule_id else None,
            "rule": rule_words(r, texts),
            "next_due": next_after(from_dict(r.recurrence), now),
            "share": shares.get(r.slug),
        }
        for r in routines.list_routines(session)
    ]
    handles = dict(session.execute(select(User.id, User.handle)).tuples().all())
    tasks = [
        {
            "task": task,
            "routine": routine,
            "assignee": handles.get(task.assignee_user_id) if task.assignee_user_id else None,
            "state": routine_completion.task_state(task, routine, now),
        }
        for task, routine in routines.tasks(session, limit=RECENT)
    ]
    return admin_common.page(request, "shifts/routines.html", principal, routines=rows, tasks=tasks)


@router.get("/routines", response_class=HTMLResponse, response_model=None)
def routines_page(request: Request, session: SessionDep) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    return _page(request, session, principal)
