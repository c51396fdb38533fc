"""``GET /api/v1/incidents/{ref}/similar``: the probe's family first with how each was resolved,
the limit checked at the edge, private incidents hidden from those who may not see them, and
the operation documented in OpenAPI with an example."""

from __future__ import annotations

from datetime import datetime

import pytest

from plantao.db import session_scope
from tests.api.conftest import Api
from tests.factories import similar_history
from tests.factories.similar_history import FAMILIES, History

PATH = "/api/v1/incidents/{ref}/similar"


@pytest.fixture
def world(api: Api, frozen: datetime) -> tuple[History, str]:
    """The scripted history and the human id of a new disk-full incident (family 0)."""
    with session_scope(api.factory) as session:
        history = similar_history.build(session, frozen)
        number = similar_history.probe(session, 0, frozen).human_id
    return history, number


def test_viewer_gets_the_family_with_resolutions(api: Api, world: tuple[History, str]) -> None:
    """A viewer gets five disk-full incidents, best first, each with resolution and links."""
    history, number = world
    res = api.client.get(f"/api/v1/incidents/{number}/similar", headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert {b["id"] for b in body} == set(history.resolved[0])
    first = body[0]
    assert first["url"] == f"/incidents/{first['number']}"
    assert first["service"] == FAMILIES[0].service
    assert first["resolution"].startswith(FAMILIES[0].fix)
    assert first["runbooks"][0]["runbook_id"] == FAMILIES[0].runbook
    assert first["time_to_resolve_seconds"] > 0
    assert "service" in first["why"]
    with_pm = [b for b in body if b["postmortem"]]
    assert (
        with_pm
        and with_pm[0]["postmortem"]["url"] == f"/postmortems/{with_pm[0]['postmortem']['id']}"
    )
    assert history.private_id not in {b["id"] for b in body}


def test_limit_is_checked_at_the_edge(api: Api, world: tuple[History, str]) -> None:
    """limit=2 gives two; limit=0 or above the maximum is a 422 problem naming it."""
    _, number = world
    url = f"/api/v1/incidents/{number}/similar"
    two = api.client.get(url, params={"limit": 2}, headers=api.headers("viewer"))
    assert len(two.json()) == 2
    for bad in (0, 21):
        res = api.client.get(url, params={"limit": bad}, headers=api.headers("viewer"))
        assert res.status_code == 422
        assert res.headers["content-type"].startswith("application/problem+json")
        assert "limit" in res.text


def test_private_incident_is_listed_only_for_the_admin(
    api: Api, world: tuple[History, str]
) -> None:
    """The admin sees the private disk incident among the results; the viewer never does, even
    asking for twenty."""
    history, number = world
    url = f"/api/v1/incidents/{number}/similar"
    admin = api.client.get(url, params={"limit": 20}, headers=api.headers("admin")).json()
    viewer = api.client.get(url, params={"limit": 20}, headers=api.headers("viewer")).json()
    assert history.private_id in {b["id"] for b in admin}
    assert history.private_id not in {b["id"] for b in viewer}
    assert all("Secret" not in b["title"] for b in viewer)


def test_unknown_or_hidden_incident_is_a_404(api: Api, world: tuple[History, str]) -> None:
    """A reference that matches nothing, and a private incident the viewer may not see, get
    the same 404."""
    history, _ = world
    with session_scope(api.factory) as session:
        from plantao.incidents.models import Incident

        hidden = session.get(Incident, history.private_id)
        assert hidden is not None
        hidden_number = hidden.human_id
    for ref in ("INC-00000000-9", hidden_number):
        res = api.client.get(f"/api/v1/incidents/{ref}/similar", headers=api.headers("viewer"))
        assert res.status_code == 404
        assert res.json()["detail"] == f"incident '{ref}' does not exist"


def test_openapi_documents_it_with_an_example(api: Api, world: tuple[History, str]) -> None:
    """The operation is in the OpenAPI document, its result schema with an example."""
    spec = api.client.get("/openapi.json", headers=api.headers("viewer")).json()
    operation = spec["paths"][PATH]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"ref", "limit"}
    schema = spec["components"]["schemas"]["SimilarIncidentOut"]
    assert schema["examples"][0]["why"][0].startswith("family:")
