"""Publishing on the status page over the API: the exact interfaces, clear 4xx errors that
change nothing, and who may publish (Comms Lead, IC, a manager of the team, an admin)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from plantao import clock
from plantao.command import roles
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.people.models import User
from plantao.statuspage import pages
from plantao.statuspage.models import StatusComponent
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook

BODY = {
    "title": "Checkout is failing for some customers",
    "body": "We are investigating errors at checkout.",
    "components": {"api": "partial_outage"},
}


@pytest.fixture
def ref(api: Api) -> str:
    """An incident on 'default', which feeds the public page's 'api' component."""
    with session_scope(api.factory) as session:
        for row in session.scalars(select(StatusComponent)):
            session.delete(row)
        session.flush()
        page_id = pages.ensure_default(session).id
        for position, (slug, services) in enumerate((("api", ["default"]), ("web", []))):
            session.add(
                StatusComponent(
                    page_id=page_id,
                    slug=slug,
                    name=f"{slug.upper()} service",
                    description="",
                    group_name=None,
                    position=position,
                    services=services,
                    status="operational",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
    return api.open_incident(
        f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert("Internal OOM db-7")])
    )


def _post(api: Api, path: str, body: Any, who: str = "admin") -> Any:
    return api.client.post(path, json=body, headers=api.headers(who))


def _component(api: Api) -> str:
    with session_scope(api.factory) as session:
        return str(
            session.scalars(
                select(StatusComponent.status).where(StatusComponent.slug == "api")
            ).one()
        )


def test_publish_update_resolve_exact_interfaces(api: Api, ref: str) -> None:
    """Publish → 201 with id/incident/status/impact/components/url; updates → 201; resolved
    restores the component; a further update → 409."""
    res = _post(api, f"/api/v1/incidents/{ref}/publish", BODY)
    assert res.status_code == 201, res.text
    out = res.json()
    assert {"id", "incident", "status", "impact", "components", "url"} <= set(out)
    assert (out["status"], out["impact"], out["components"]) == (
        "investigating",
        "major",
        {"api": "partial_outage"},
    )
    assert out["url"] == f"http://plantao.test/status/incidents/{out['incident']}"
    assert _component(api) == "partial_outage"
    public = out["incident"]
    res = _post(
        api,
        f"/api/v1/public-incidents/{public}/updates",
        {"status": "identified", "body": "Found."},
    )
    assert res.status_code == 201, res.text
    assert res.json()["incident"] == public
    res = _post(
        api, f"/api/v1/public-incidents/{public}/updates", {"status": "resolved", "body": "Fixed."}
    )
    assert res.status_code == 201 and res.json()["status"] == "resolved"
    assert _component(api) == "operational"
    res = _post(
        api, f"/api/v1/public-incidents/{public}/updates", {"status": "monitoring", "body": "x"}
    )
    assert res.status_code == 409
    got = api.client.get(f"/api/v1/public-incidents/{public}", headers=api.headers("viewer")).json()
    assert [u["body"] for u in got["updates"]] == [BODY["body"], "Found.", "Fixed."]
    assert "OOM" not in str(got["title"]) and got["incident_ref"] == ref
    listed = api.client.get(
        "/api/v1/public-incidents",
        params={"page": "public", "open": "false"},
        headers=api.headers("viewer"),
    ).json()["items"]
    assert [i["id"] for i in listed] == [public]


def test_errors_are_4xx_and_change_nothing(api: Api, ref: str) -> None:
    """Unknown components, empty texts, bad statuses, private and twice-published incidents."""
    res = _post(
        api, f"/api/v1/incidents/{ref}/publish", {**BODY, "components": {"db": "major_outage"}}
    )
    assert res.status_code == 422 and "api, web" in res.text
    res = _post(api, f"/api/v1/incidents/{ref}/publish", {**BODY, "title": ""})
    assert res.status_code == 422
    res = _post(api, f"/api/v1/incidents/{ref}/publish", {**BODY, "components": {"api": "on_fire"}})
    assert res.status_code == 422
    res = _post(api, f"/api/v1/incidents/{ref}/publish", {**BODY, "title": "   "})
    assert res.status_code == 422
    assert _component(api) == "operational"
    assert _post(api, "/api/v1/incidents/INC-NOPE/publish", BODY).status_code == 404
    assert (
        _post(
            api, "/api/v1/public-incidents/999999/updates", {"status": "identified", "body": "x"}
        ).status_code
        == 404
    )
    first = _post(
        api,
        f"/api/v1/incidents/{ref}/publish",
        {**BODY, "components": {"API service": "major_outage"}},
    )
    assert first.status_code == 201
    again = _post(api, f"/api/v1/incidents/{ref}/publish", BODY)
    assert again.status_code == 409 and f"public incident {first.json()['incident']}" in again.text
    with session_scope(api.factory) as session:
        session.execute(update(Incident).values(private=True))
    other = _post(api, f"/api/v1/incidents/{ref}/publish", {**BODY, "page": "public"})
    assert other.status_code == 409


def test_who_may_publish(api: Api, ref: str) -> None:
    """A viewer and a responder holding no hat get 403 with the reason; the Comms Lead may."""
    assert _post(api, f"/api/v1/incidents/{ref}/publish", BODY, "viewer").status_code == 403
    res = _post(api, f"/api/v1/incidents/{ref}/publish", BODY, "responder")
    assert res.status_code == 403 and "Comms Lead" in res.text
    with session_scope(api.factory) as session:
        incident = incident_service.get(session, ref, for_update=True)
        user = session.scalars(select(User).where(User.handle == "responder-u")).one()
        roles.assign(session, incident, "comms_lead", user, actor="test")
    res = _post(api, f"/api/v1/incidents/{ref}/publish", BODY, "responder")
    assert res.status_code == 201, res.text


def test_publication_proposes_and_dismiss_stops_it(api: Api, ref: str) -> None:
    """The proposal names the page and its fed components; dismissing it removes it."""
    got = api.client.get(
        f"/api/v1/incidents/{ref}/publication", headers=api.headers("viewer")
    ).json()
    [proposal] = got["proposals"]
    assert proposal["page"] == "public" and [c["slug"] for c in proposal["components"]] == ["api"]
    assert got["published"] == []
    res = _post(api, f"/api/v1/incidents/{ref}/publication/dismiss", {"page": "public"})
    assert res.status_code == 200 and res.json()["page"] == "public"
    got = api.client.get(
        f"/api/v1/incidents/{ref}/publication", headers=api.headers("viewer")
    ).json()
    assert got["proposals"] == []
    assert (
        _post(api, f"/api/v1/incidents/{ref}/publication/dismiss", {"page": "nope"}).status_code
        == 404
    )


def test_naming_a_comms_lead_on_a_sev1_asks_them_once(api: Api, ref: str) -> None:
    """A Sev1 opened with nobody in command is asked about once someone is named."""
    headers = api.headers("admin")
    res = api.client.post(
        f"/api/v1/incidents/{ref}/severity", json={"severity": "sev1"}, headers=headers
    )
    assert res.status_code < 300, res.text
    for role, user in (("comms_lead", "responder-u"), ("incident_commander", "admin-u")):
        res = api.client.put(
            f"/api/v1/incidents/{ref}/roles/{role}", json={"user": user}, headers=headers
        )
        assert res.status_code == 200, res.text
    with session_scope(api.factory) as session:
        incident = incident_service.get(session, ref)
        kinds = [e.kind for e in incident_service.timeline(session, incident.id)]
    assert kinds.count("status_page.prompted") == 1
