"""The weekly operational review over the API (seed 002 action tracking: "Revisão semanal em
operational review").

``GET /api/v1/reviews/weekly?week=2026-W49&team=<slug>`` answers the week's facts as JSON;
``GET /api/v1/reviews/weekly.md`` the same review as Markdown (the e-mail's text), in the
reader's language or ``lang``. Without ``week``: the last complete week in the team's zone;
without ``team``: the whole installation. Everyone who reads may ask; private incidents are
counted for all but named only to those who may see them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from plantao.api.deps import SessionDep, Viewer
from plantao.api.errors import problem_responses
from plantao.auth.principal import Principal
from plantao.errors import ValidationFailed
from plantao.postmortems import iso_weeks, weekly_gather
from plantao.postmortems.weekly_facts import WeeklyFacts, as_json, redacted
from plantao.postmortems.weekly_render import render

router = APIRouter(
    prefix="/api/v1/reviews", tags=["operational review"], responses=problem_responses()
)

WeekQuery = Annotated[
    str | None,
    Query(max_length=20, description="ISO week such as 2026-W49; omitted: the last complete one"),
]
TeamQuery = Annotated[
    str | None, Query(max_length=64, description="team slug; omitted: the whole installation")
]
LangQuery = Annotated[
    Literal["en", "pt-BR"] | None, Query(description="language; omitted: the reader's")
]


def facts_for(
    session: Session, principal: Principal, week: str | None, team: str | None
) -> WeeklyFacts:
    """The review a reader asked for, with the private titles they may not see taken out.
    A malformed week is a 422, an unknown team a 404 (both change nothing)."""
    team = (team or "").strip() or None
    if week is None or not week.strip():
        chosen = weekly_gather.default_week(session, team)
    else:
        try:
            chosen = iso_weeks.parse(week)
        except ValueError as exc:
            raise ValidationFailed(f"week: {exc}") from None
    facts = weekly_gather.gather(session, chosen, team)
    seen = weekly_gather.visible_private(session, facts, principal.user_id, principal.is_admin)
    return redacted(facts, seen)


@router.get("/weekly", response_model=dict[str, Any])
def weekly_review(
    session: SessionDep, who: Viewer, week: WeekQuery = None, team: TeamQuery = None
) -> dict[str, Any]:
    """The week's figures: incidents by severity with MTTA/MTTR medians against the targets,
    the Sev1/Sev2 list, postmortems and corrective actions due, overdue and done, release-gate
    refusals; each count beside the previous week's (``trend``)."""
    return as_json(facts_for(session, who, week, team))


@router.get(
    "/weekly.md",
    response_class=Response,
    responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}}}}},
)
def weekly_review_markdown(
    request: Request,
    session: SessionDep,
    who: Viewer,
    week: WeekQuery = None,
    team: TeamQuery = None,
    lang: LangQuery = None,
) -> Response:
    """The same review as Markdown, links to incidents on this installation."""
    facts = facts_for(session, who, week, team)
    base_url = request.app.state.settings.base_url
    out = render(facts, lang or who.language, base_url)
    name = f"operational-review-{facts.team or 'all'}-{facts.week}.md"
    return Response(
        out.text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
