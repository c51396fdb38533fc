"""The weekly operational review page (``/reviews/weekly?week=2026-W49&team=<slug>``) and its
Markdown export (``/reviews/weekly.md``, the text the team gets by e-mail).

Everyone who reads may look at any team's week: the figures are the same as the API's
(``postmortems.views.reviews.facts_for``), private incidents counted but unnamed for those who
may not see them. A week that is not one (``2026-W54``) or a team that does not exist re-renders
the page with the error and what was typed, without figures.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep
from plantao.auth.principal import Principal
from plantao.errors import NotFound, ValidationFailed
from plantao.people.models import Team
from plantao.postmortems.views.reviews import facts_for
from plantao.postmortems.weekly_facts import WeeklyFacts
from plantao.postmortems.weekly_render import render, span
from plantao.web import admin_common, rendering

router = APIRouter(include_in_schema=False)

#: Longer than any week or slug: what was typed is kept, not what would fill the page.
_TYPED_MAX = 64


def _typed(value: str | None) -> str:
    return (value or "").strip()[:_TYPED_MAX]


def _query(facts: WeeklyFacts, week: str) -> str:
    team = f"&team={facts.team}" if facts.team else ""
    return f"week={week}{team}"


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    week: str,
    team: str,
) -> HTMLResponse:
    teams = list(session.scalars(select(Team).order_by(Team.name, Team.slug)))
    try:
        facts = facts_for(session, principal, week or None, team or None)
    except (ValidationFailed, NotFound) as exc:
        status = 404 if isinstance(exc, NotFound) else 422
        return admin_common.page(
            request,
            "reviews/weekly.html",
            principal,
            status_code=status,
            facts=None,
            error=str(exc),
            teams=teams,
            typed_week=week,
            typed_team=team,
            dur=span,
        )
    return admin_common.page(
        request,
        "reviews/weekly.html",
        principal,
        facts=facts,
        error=None,
        teams=teams,
        typed_week=facts.week,
        typed_team=facts.team or "",
        previous_query=_query(facts, facts.previous_week),
        next_query=_query(facts, facts.next_week),
        this_query=_query(facts, facts.week),
        dur=span,
    )


@router.get("/reviews/weekly", response_class=HTMLResponse, response_model=None)
def weekly_page(
    request: Request, session: SessionDep, week: str | None = None, team: str | None = None
) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    return _page(request, session, principal, _typed(week), _typed(team))


@router.get("/reviews/weekly.md", response_model=None)
def weekly_markdown(
    request: Request, session: SessionDep, week: str | None = None, team: str | None = None
) -> Response:
    principal = admin_common.reader(request, session)
    if isinstance(principal, Response):
        return principal
    try:
        facts = facts_for(session, principal, _typed(week) or None, _typed(team) or None)
    except (ValidationFailed, NotFound):
        return _page(request, session, principal, _typed(week), _typed(team))
    out = render(facts, rendering.lang(request), request.app.state.settings.base_url)
    name = f"operational-review-{facts.team or 'all'}-{facts.week}.md"
    return Response(
        out.text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
