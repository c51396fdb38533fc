"""The weekly operational review through the ASGI app: the JSON and Markdown API, the web page
with its team picker, week links and Markdown export, private titles, and bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from plantao import clock
from plantao.db import session_scope
from plantao.incidents.models import Incident, IncidentResponder
from plantao.people.models import User
from tests.api.conftest import Api
from tests.factories import weekly_review
from tests.factories.weekly_review import NOW, WEEK, Week


@pytest.fixture
def week(api: Api) -> Iterator[Week]:
    clock.freeze(NOW)
    yield weekly_review.script(api.factory)
    clock.unfreeze()


def test_api_answers_the_weeks_facts(api: Api, week: Week) -> None:
    """GET /api/v1/reviews/weekly gives the team's figures with trends, as JSON."""
    res = api.client.get(
        "/api/v1/reviews/weekly",
        params={"week": WEEK, "team": "payments"},
        headers=api.headers("viewer"),
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["week"], body["team"], body["time_zone"]) == (
        WEEK,
        "payments",
        "America/Sao_Paulo",
    )
    assert body["incidents"] == {"current": 5, "previous": 1, "trend": "up"}
    assert [r["opened"]["current"] for r in body["severities"]] == [2, 1, 1, 1]
    assert body["gate_blocks"][0]["actions"] == [week.actions["b"]]
    assert body["previous_week"] == "2026-W48"


def test_api_defaults_to_the_last_complete_week(api: Api, week: Week) -> None:
    """Without a week, the review is the last complete one (2026-W49 on Wednesday of W50)."""
    res = api.client.get(
        "/api/v1/reviews/weekly", params={"team": "payments"}, headers=api.headers("viewer")
    )
    assert res.json()["week"] == WEEK


def test_private_titles_are_hidden_from_a_viewer_not_from_an_admin(api: Api, week: Week) -> None:
    """A viewer gets the private Sev2 counted but untitled; an admin sees its title."""
    params = {"week": WEEK, "team": "payments"}
    viewer = api.client.get("/api/v1/reviews/weekly", params=params, headers=api.headers("viewer"))
    admin = api.client.get("/api/v1/reviews/weekly", params=params, headers=api.headers("admin"))
    titles = {i["ref"]: i["title"] for i in viewer.json()["major_incidents"]}
    assert titles[week.refs["C"]] is None and titles[week.refs["A"]] == "Incident A"
    assert {i["ref"]: i["title"] for i in admin.json()["major_incidents"]}[week.refs["C"]] == (
        "Incident C"
    )
    md = api.client.get("/api/v1/reviews/weekly.md", params=params, headers=api.headers("viewer"))
    assert "Incident C" not in md.text and "(private incident)" in md.text


@pytest.mark.parametrize("bad", ["2026-W54", "2025-W53", "49", "2026-w49x"])
def test_bad_weeks_are_422(api: Api, week: Week, bad: str) -> None:
    """A week that is malformed or that the year lacks is a 422 problem naming the field."""
    res = api.client.get(
        "/api/v1/reviews/weekly", params={"week": bad}, headers=api.headers("viewer")
    )
    assert res.status_code == 422
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "week:" in res.json()["detail"]


def test_unknown_team_is_404(api: Api, week: Week) -> None:
    """A team that does not exist is a 404."""
    res = api.client.get(
        "/api/v1/reviews/weekly.md", params={"team": "nope"}, headers=api.headers("viewer")
    )
    assert res.status_code == 404


def test_markdown_export_in_the_readers_language(api: Api, week: Week) -> None:
    """weekly.md is text/markdown, in English by default or pt-BR when asked, with links."""
    params = {"week": WEEK, "team": "payments"}
    en = api.client.get("/api/v1/reviews/weekly.md", params=params, headers=api.headers("viewer"))
    assert en.status_code == 200
    assert en.headers["content-type"].startswith("text/markdown")
    assert en.text.startswith("# Weekly operational review — 2026-W49")
    assert f"(http://plantao.test/incidents/{week.refs['A']})" in en.text
    pt = api.client.get(
        "/api/v1/reviews/weekly.md",
        params={**params, "lang": "pt-BR"},
        headers=api.headers("viewer"),
    )
    assert pt.text.startswith("# Revisão operacional semanal — 2026-W49")


def test_page_shows_the_week_with_links_and_picker(api: Api, week: Week) -> None:
    """The page shows the team's figures, prev/next links, the Markdown link and the picker."""
    api.login("viewer")
    res = api.client.get("/reviews/weekly", params={"week": WEEK, "team": "payments"})
    assert res.status_code == 200, res.text
    html = res.text
    assert 'href="/reviews/weekly?week=2026-W48&amp;team=payments"' in html
    assert 'href="/reviews/weekly?week=2026-W50&amp;team=payments"' in html
    assert 'href="/reviews/weekly.md?week=2026-W49&amp;team=payments"' in html
    assert '<option value="payments" selected>Payments</option>' in html
    assert 'table class="cards" id="rv-severities"' in html
    assert f'<a href="/incidents/{week.refs["A"]}">' in html
    assert "Incident C" not in html and "Private incident" in html
    assert "Now: 2 postmortems overdue, 2 corrective actions overdue, 2 must-fix" in html
    assert 'href="/reviews/weekly"' in html  # the navigation link
    assert "style=" not in html and "<script>" not in html


def test_page_in_portuguese_and_for_a_responder_of_the_private_incident(
    api: Api, week: Week
) -> None:
    """In pt-BR the page is worded in Portuguese; a responder of the private incident sees it."""
    with session_scope(api.factory) as s:
        viewer = s.scalars(select(User).where(User.handle == "viewer-u")).one()
        s.add(
            IncidentResponder(
                incident_id=week.incidents["C"], user_id=viewer.id, added_by="t", added_at=NOW
            )
        )
        assert s.get(Incident, week.incidents["C"]) is not None
    api.login("viewer")
    res = api.client.get(
        "/reviews/weekly", params={"week": WEEK, "team": "payments", "lang": "pt-BR"}
    )
    assert "Revisão operacional semanal" in res.text
    assert "Incidentes por severidade" in res.text
    assert "Incident C" in res.text


def test_page_keeps_a_bad_week_and_says_why(api: Api, week: Week) -> None:
    """A bad week re-renders the page with the error and the typed week, without figures."""
    api.login("viewer")
    res = api.client.get("/reviews/weekly", params={"week": "2026-W60", "team": "payments"})
    assert res.status_code == 422
    assert 'value="2026-W60"' in res.text and "no ISO week 60" in res.text
    assert 'id="rv-severities"' not in res.text


def test_page_markdown_export_uses_the_session(api: Api, week: Week) -> None:
    """/reviews/weekly.md answers the Markdown to a signed-in person; others go to log in."""
    anonymous = api.client.get("/reviews/weekly.md", follow_redirects=False)
    assert anonymous.status_code == 303
    api.login("viewer")
    res = api.client.get("/reviews/weekly.md", params={"week": WEEK})
    assert res.headers["content-type"].startswith("text/markdown")
    assert "**Whole installation**" in res.text
