"""Declaring an incident by hand and giving out its roles over the API: shapes, errors,
permissions (seed 002: "Critérios de abertura", RACI, one hat per person)."""

from __future__ import annotations

from typing import Any, get_args

from plantao.command.views.declare import Category
from plantao.db import session_scope
from plantao.incidents.models import INCIDENT_CATEGORIES
from tests.api.conftest import Api
from tests.factories.config import apply_config
from tests.factories.people import make_user, token_for

DECLARE = "/api/v1/incidents"


def _declare(api: Api, role: str = "responder", **fields: Any) -> Any:
    body = {"title": "Customers cannot pay", "service": "checkout", "severity": "sev2"} | fields
    return api.client.post(DECLARE, json=body, headers=api.headers(role))


def _people(api: Api, *handles: str) -> None:
    with session_scope(api.factory) as session:
        for handle in handles:
            make_user(session, handle, password=None)


def _put(api: Api, ref: str, role: str, body: Any, who: str = "responder") -> Any:
    return api.client.put(
        f"/api/v1/incidents/{ref}/roles/{role}", json=body, headers=api.headers(who)
    )


def test_declare_answers_201_with_the_incident(api: Api) -> None:
    """POST /api/v1/incidents opens the incident and answers it whole: id, number, fields."""
    res = _declare(
        api,
        description="Three tickets in ten minutes",
        private=False,
        category="customer_report",
    )
    assert res.status_code == 201, res.text
    got = res.json()
    assert isinstance(got["id"], int)
    assert got["number"].startswith("INC-") and got["number"] == got["human_id"]
    assert "PENDING" not in got["number"]
    assert got["service"] == "checkout" and got["severity"] == "sev2"
    assert got["status"] == "triggered"
    assert got["description"] == "Three tickets in ten minutes"
    assert got["private"] is False and got["category"] == "customer_report"
    assert got["roles"] == []
    declared = [e for e in got["timeline"] if e["kind"] == "incident.declared"]
    assert declared and declared[0]["actor"] == "responder-u"
    assert declared[0]["message"] == (
        "Declared by responder-u: customer report: Three tickets in ten minutes"
    )
    again = api.client.get(f"/api/v1/incidents/{got['number']}", headers=api.headers("viewer"))
    assert again.json()["id"] == got["id"]


def test_declare_refuses_bad_input_and_changes_nothing(api: Api) -> None:
    """Unknown service 404, extra field / bad severity / unknown category / no title 422."""
    assert _declare(api, service="nope").status_code == 404
    assert "service 'nope' does not exist" in _declare(api, service="nope").json()["detail"]
    for bad in ({"colour": "red"}, {"severity": "sev9"}, {"category": "boredom"}, {"title": ""}):
        res = _declare(api, **bad)
        assert res.status_code == 422, (bad, res.text)
        assert res.headers["content-type"].startswith("application/problem+json")
    assert _declare(api, title="   ").status_code == 422
    listed = api.client.get(DECLARE, headers=api.headers("viewer")).json()
    assert listed["items"] == []


def test_declare_needs_the_responder_role_on_the_services_team(api: Api) -> None:
    """A viewer gets 403; a responder of another team too; nothing is opened."""
    assert _declare(api, role="viewer").status_code == 403
    apply_config(api.factory, "version: 1\nteams: [{slug: alpha, name: Alpha}]")
    with session_scope(api.factory) as session:
        other = make_user(session, "outsider", team_roles={"alpha": "responder"}, password=None)
        api.tokens["outsider"] = token_for(session, other, ["respond"])
    assert _declare(api, role="outsider").status_code == 403
    assert api.client.get(DECLARE, headers=api.headers("viewer")).json()["items"] == []


def test_category_literal_matches_the_model() -> None:
    """The API's category choices are the model's INCIDENT_CATEGORIES."""
    assert get_args(Category) == INCIDENT_CATEGORIES


def test_assign_hand_over_and_remove_roles(api: Api) -> None:
    """PUT assigns, a second PUT of the role to someone else hands it over, DELETE removes;
    the detail shows roles and the timeline records each change."""
    _people(api, "bruno", "carla")
    ref = _declare(api).json()["number"]
    res = _put(api, ref, "incident_commander", {"user": "ana"})
    assert res.status_code == 200, res.text
    assert [(r["role"], r["user"], r["name"]) for r in res.json()["roles"]] == [
        ("incident_commander", "ana", "Ana")
    ]
    assert res.json()["roles"][0]["assigned_at"]
    handoff = {"context": "checkout 5xx since 12:00", "status": "rollback running",
               "next_steps": "watch error rate 15 min"}  # fmt: skip
    res = _put(api, ref, "incident_commander", {"user": "bruno", "handoff": handoff})
    assert res.status_code == 200, res.text
    got = res.json()
    assert [(r["role"], r["user"]) for r in got["roles"]] == [("incident_commander", "bruno")]
    kinds = [e["kind"] for e in got["timeline"] if e["kind"].startswith("role.")]
    assert kinds == ["role.assigned", "role.handed_over", "role.handoff"]
    formatted = next(e for e in got["timeline"] if e["kind"] == "role.handoff")["message"]
    assert formatted == (
        "IC hand-off: ana → bruno\nContext: checkout 5xx since 12:00\n"
        "Status: rollback running\nNext steps: watch error rate 15 min"
    )
    responders = {e["data"].get("user") for e in got["timeline"] if e["kind"] == "responder.added"}
    assert {"ana", "bruno"} <= responders
    assert _put(api, ref, "sme", {"user": "ana"}).status_code == 200
    assert _put(api, ref, "sme", {"user": "carla"}).status_code == 200
    res = api.client.delete(
        f"/api/v1/incidents/{ref}/roles/sme", params={"user": "ana"}, headers=api.headers("admin")
    )
    assert res.status_code == 200, res.text
    assert sorted((r["role"], r["user"]) for r in res.json()["roles"]) == [
        ("incident_commander", "bruno"),
        ("sme", "carla"),
    ]
    assert res.json()["timeline"][-1]["kind"] == "role.removed"


def test_second_hat_is_409_naming_the_worn_one(api: Api) -> None:
    """Someone who wears a hat gets no second one: 409 naming it; nothing changes."""
    ref = _declare(api).json()["number"]
    assert _put(api, ref, "comms_lead", {"user": "ana"}).status_code == 200
    res = _put(api, ref, "scribe", {"user": "ana"})
    assert res.status_code == 409
    assert res.json()["detail"] == (
        f"ana is already the comms_lead of {ref}: one hat per person; remove that role first"
    )
    again = _put(api, ref, "comms_lead", {"user": "ana"})
    assert again.status_code == 200
    assert [r["role"] for r in again.json()["roles"]] == ["comms_lead"]


def test_bad_role_user_or_body_is_422(api: Api) -> None:
    """Unknown role, unknown person, extra field, hand-off on another role: 422."""
    ref = _declare(api).json()["number"]
    cases = [
        ("captain", {"user": "ana"}),
        ("scribe", {"user": "nobody-here"}),
        ("scribe", {"user": "ana", "hat": "red"}),
        ("scribe", {"user": "ana", "handoff": {"context": "x"}}),
        ("incident_commander", {"user": "ana", "handoff": {"mood": "x"}}),
    ]
    for role, body in cases:
        res = _put(api, ref, role, body)
        assert res.status_code == 422, (role, body, res.text)
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["roles"] == []
    removed = api.client.delete(
        f"/api/v1/incidents/{ref}/roles/scribe", headers=api.headers("responder")
    )
    assert removed.status_code == 404


def test_viewer_may_not_assign_roles(api: Api) -> None:
    """A viewer's PUT and DELETE are 403 and change nothing."""
    ref = _declare(api).json()["number"]
    assert _put(api, ref, "scribe", {"user": "ana"}, who="viewer").status_code == 403
    res = api.client.delete(f"/api/v1/incidents/{ref}/roles/scribe", headers=api.headers("viewer"))
    assert res.status_code == 403
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["roles"] == []


def test_list_shows_roles_of_every_incident(api: Api) -> None:
    """GET /api/v1/incidents carries each incident's roles."""
    first = _declare(api).json()["number"]
    second = _declare(api, title="Cost burn").json()["number"]
    _put(api, first, "incident_commander", {"user": "ana"})
    items = api.client.get(DECLARE, headers=api.headers("viewer")).json()["items"]
    roles = {i["number"]: [r["user"] for r in i["roles"]] for i in items}
    assert roles == {first: ["ana"], second: []}
