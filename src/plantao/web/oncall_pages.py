"""Who is on call now and next, per team and per schedule, and the escalation policies (read).

The 3 a.m. question "whom do I call?" is answered per team: a team's services are paged by a
policy, whose first level names schedules or people; each schedule shows who holds it now, until
when (in the reader's time zone) and who takes over. Schedules, overrides and silences have
their own pages (``schedule_pages``, ``silence_pages``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from plantao import clock
from plantao.api.deps import SessionDep
from plantao.catalog import service as catalog_service
from plantao.catalog.models import Service
from plantao.oncall import policies as oncall_policies
from plantao.oncall import service as oncall_service
from plantao.oncall.models import EscalationPolicy, OncallSchedule
from plantao.people import teams as people_teams
from plantao.web import oncall_times, rendering, schedule_view
from plantao.web.schedule_view import NowAndNext

router = APIRouter(include_in_schema=False)
schedules = oncall_service.schedules
STYLESHEET = "/static/pages/oncall.css"


@dataclass(frozen=True)
class ScheduleNow:
    slug: str
    name: str
    time_zone: str
    layers: list[str]
    board: NowAndNext


@dataclass(frozen=True)
class Target:
    kind: str
    ref: str
    on_call: ScheduleNow | None = None


@dataclass(frozen=True)
class Level:
    number: int
    delay_seconds: float
    targets: list[Target]


@dataclass
class PolicyView:
    slug: str
    name: str
    levels: list[Level]
    repeat: int
    fallback: list[Target] | None
    cycle_delay_seconds: float | None
    services: list[Service] = field(default_factory=list)


@dataclass(frozen=True)
class TeamView:
    slug: str
    name: str
    policies: list[tuple[PolicyView, list[Service]]]
    unpaged: list[Service]


def boards(session: Session, tz_name: str) -> dict[str, ScheduleNow]:
    """Now/next of every schedule, keyed by slug, in the viewer's zone."""
    now = clock.now()
    tz = oncall_times.zone(tz_name)
    found = {}
    row: OncallSchedule
    for row in schedules.list_schedules(session):
        pure = schedules.to_pure(session, row)
        found[row.slug] = ScheduleNow(
            slug=row.slug,
            name=row.name,
            time_zone=row.time_zone,
            layers=[str(layer["name"]) for layer in row.layers],
            board=schedule_view.now_and_next(pure, now, tz),
        )
    return found


def _targets(raw: list[dict[str, Any]], on_call: dict[str, ScheduleNow]) -> list[Target]:
    return [
        Target(str(t["kind"]), str(t["ref"]), on_call.get(str(t["ref"])))
        if t.get("kind") == "schedule"
        else Target(str(t["kind"]), str(t["ref"]))
        for t in raw
    ]


def policy_views(session: Session, on_call: dict[str, ScheduleNow]) -> list[PolicyView]:
    by_policy = oncall_service.policy_services(session)
    views = []
    row: EscalationPolicy
    for row in oncall_policies.list_policies(session):
        body = row.body
        fallback = body.get("fallback")
        views.append(
            PolicyView(
                slug=row.slug,
                name=row.name,
                levels=[
                    Level(i + 1, float(step["delay_seconds"]), _targets(step["targets"], on_call))
                    for i, step in enumerate(body.get("steps", []))
                ],
                repeat=int(body.get("repeat", 0)),
                fallback=None if fallback is None else _targets(fallback, on_call),
                cycle_delay_seconds=body.get("cycle_delay_seconds"),
                services=by_policy.get(row.id, []),
            )
        )
    return views


def team_views(session: Session, policy_list: list[PolicyView]) -> list[TeamView]:
    """Each team with the policies paging its services; services paged by nobody are named."""
    paged = {s.id for p in policy_list for s in p.services}
    services = catalog_service.list_services(session)
    views = []
    for team in people_teams.list_teams(session):
        mine = [(p, [s for s in p.services if s.team_id == team.id]) for p in policy_list]
        views.append(
            TeamView(
                slug=team.slug,
                name=team.name,
                policies=[(p, used) for p, used in mine if used],
                unpaged=[s for s in services if s.team_id == team.id and s.id not in paged],
            )
        )
    return views


@router.get("/oncall", response_class=HTMLResponse, response_model=None)
def oncall_page(request: Request, session: SessionDep) -> Response:
    """Who is on call now and next, per team (first level of its policies) and per schedule."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    on_call = boards(session, principal.time_zone)
    policy_list = policy_views(session, on_call)
    return rendering.render(
        request,
        "oncall/oncall.html",
        principal,
        stylesheet=STYLESHEET,
        teams=team_views(session, policy_list),
        schedules=list(on_call.values()),
        time_zone=oncall_times.zone(principal.time_zone).key,
    )


@router.get("/policies", response_class=HTMLResponse, response_model=None)
def policies_page(request: Request, session: SessionDep) -> Response:
    """Escalation policies as they page: levels, targets, delays, and the services using them."""
    principal = rendering.current(request, session)
    if principal is None:
        return rendering.to_login(request)
    on_call = boards(session, principal.time_zone)
    team_names = {t.id: t.name for t in people_teams.list_teams(session)}
    return rendering.render(
        request,
        "oncall/policies.html",
        principal,
        stylesheet=STYLESHEET,
        policies=policy_views(session, on_call),
        team_names=team_names,
        time_zone=oncall_times.zone(principal.time_zone).key,
    )
