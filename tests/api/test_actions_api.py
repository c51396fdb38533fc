"""Corrective actions over the API: the exact interface (201 ``AC-01``, PATCH status 200), ids in
every form, 422 problem bodies for bad input, the status rules, the overdue filter on a frozen
clock, who may create and change them (a private incident's actions stay hidden), and the Learn
step's suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from plantao import clock
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.incidents.models import TimelineEntry
from plantao.people import directory
from plantao.people.models import AuditEntry
from plantao.postmortems.models import Postmortem
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, apply_config
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import make_user, token_for

ACTIONS = "/api/v1/actions"


def _incident(api: Api, name: str = "CheckoutLatency") -> str:
    body = am_webhook(
        [am_alert(name, service="checkout")], group_key=f'{{}}:{{alertname="{name}"}}'
    )
    return api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", body)


def _postmortem(api: Api, ref: str) -> int:
    """A postmortem row for the incident (its text does not matter to actions)."""
    with session_scope(api.factory) as session:
        incident = incident_service.get(session, ref)
        now = clock.now()
        pm = Postmortem(
            incident_id=incident.id, created_by="admin-u", created_at=now, updated_at=now
        )
        session.add(pm)
        session.flush()
        return pm.id


def _person(api: Api, handle: str, role: str = "viewer", **teams: str) -> dict[str, str]:
    """Headers of a new person's token that may write (a browser session's scopes)."""
    with session_scope(api.factory) as session:
        user = make_user(session, handle, global_role=role, team_roles=teams or None)
        token = token_for(session, user, ["read", "respond"])
    return {"Authorization": f"Bearer {token}"}


def _add(api: Api, pm: int, who: str = "responder", **body: Any) -> dict[str, Any]:
    payload = {"title": "Add a p99 alarm", "owner": "ana", "due_date": "2026-12-20"} | body
    res = api.client.post(
        f"/api/v1/postmortems/{pm}/actions", json=payload, headers=api.headers(who)
    )
    assert res.status_code == 201, res.text
    out: dict[str, Any] = res.json()
    return out


def test_create_answers_201_with_the_first_ac_id_and_patch_done_answers_200(
    api: Api, frozen: datetime
) -> None:
    """The interface other checks rely on: POST {title, owner, due_date, must_fix} → 201 with
    ``AC-01`` and the incident's severity and service; PATCH {status: done} → 200 with done_at;
    both land on the incident's timeline and in the audit log."""
    ref = _incident(api)
    pm = _postmortem(api, ref)
    res = api.client.post(
        f"/api/v1/postmortems/{pm}/actions",
        json={
            "title": "Roll back faster",
            "owner": "ana",
            "due_date": "2026-12-01",
            "must_fix": True,
        },
        headers=api.headers("responder"),
    )
    assert res.status_code == 201, res.text
    made = res.json()
    assert made["id"] == "AC-01" and made["incident"] == ref and made["postmortem"] == pm
    assert (made["owner"], made["due_date"], made["must_fix"]) == ("ana", "2026-12-01", True)
    assert (made["status"], made["kind"], made["severity"]) == ("open", "quick_fix", "sev3")
    assert made["service"] == "checkout" and made["environment"] is None
    assert made["overdue"] is False and made["done_at"] is None
    assert made["url"] == "http://plantao.test/actions/AC-01"
    done = api.client.patch(
        f"{ACTIONS}/AC-01", json={"status": "done"}, headers=api.headers("responder")
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "done" and done.json()["done_at"] is not None
    with session_scope(api.factory) as session:
        kinds = list(session.scalars(select(TimelineEntry.kind).order_by(TimelineEntry.id)))
        audited = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == "AC-01"))
        )
    assert kinds[-2:] == ["action.created", "action.changed"]
    assert audited == ["action.create", "action.update"]


def test_an_action_is_found_by_every_spelling_of_its_id(api: Api) -> None:
    """AC-01, ac-1 and 1 name the same action; an unknown or malformed id is a 404."""
    pm = _postmortem(api, _incident(api))
    made = _add(api, pm)
    h = api.headers("viewer")
    for spelling in ("AC-01", "ac-1", "1", "AC-1"):
        res = api.client.get(f"{ACTIONS}/{spelling}", headers=h)
        assert res.status_code == 200 and res.json()["id"] == made["id"], spelling
    for bad in ("AC-99", "XY-1", "AC-0", "99999999999999"):
        assert api.client.get(f"{ACTIONS}/{bad}", headers=h).status_code == 404, bad
    listed = api.client.get(f"/api/v1/postmortems/{pm}/actions", headers=h).json()
    assert [a["id"] for a in listed] == ["AC-01"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"owner": "nobody-here"}, "nobody-here"),
        ({"ticket_url": "javascript:alert(1)"}, "ticket_url"),
        ({"ticket_url": "ftp://tickets.example.com/1"}, "ticket_url"),
        ({"ticket_url": "https://t.example.com/" + "x" * 2000}, "ticket_url"),
        ({"title": ""}, "title"),
        ({"title": "x" * 501}, "title"),
        ({"due_date": "2020-01-01"}, "detection day"),
        ({"due_date": "2026-12-20T10:00:00Z"}, "due_date"),
        ({"severity": "sev9"}, "severity"),
        ({"kind": "paperwork"}, "kind"),
        ({"service": "no-such-service"}, "no-such-service"),
        ({"environment": "prod env"}, "environment"),
        ({"origin": "not-a-suggestion"}, "origin"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api: Api, change: dict[str, Any], field: str) -> None:
    """Each bad field is refused with a 422 problem body that names it, and nothing is made."""
    pm = _postmortem(api, _incident(api))
    body = {"title": "Fix it", "owner": "ana", "due_date": "2026-12-20"} | change
    res = api.client.post(
        f"/api/v1/postmortems/{pm}/actions", json=body, headers=api.headers("responder")
    )
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert field in res.text
    assert api.client.get(ACTIONS, headers=api.headers("admin")).json() == []


def test_severity_aliases_kind_measure_and_ticket_are_kept(api: Api) -> None:
    """P1 is stored as sev2; kind, measure, environment and an https ticket link are kept."""
    pm = _postmortem(api, _incident(api))
    made = _add(
        api,
        pm,
        severity="P1",
        kind="prevention",
        measure="p99 alarm fires in staging drills",
        environment="production",
        ticket_url="https://jira.example.com/browse/OPS-7",
        service="orders",
    )
    assert (made["severity"], made["kind"], made["environment"]) == (
        "sev2",
        "prevention",
        "production",
    )
    assert made["measure"] == "p99 alarm fires in staging drills"
    assert made["ticket_url"] == "https://jira.example.com/browse/OPS-7"
    assert made["service"] == "orders"


def test_status_rules_wont_do_needs_a_reason_and_finished_actions_reopen(api: Api) -> None:
    """open → in_progress → done; done → in_progress is a 409; reopening clears done_at; won't
    do without a reason is a 422 and with one keeps it; reopening clears the reason."""
    pm = _postmortem(api, _incident(api))
    ac = _add(api, pm)["id"]
    h = api.headers("responder")

    def patch(body: dict[str, Any]) -> Any:
        return api.client.patch(f"{ACTIONS}/{ac}", json=body, headers=h)

    assert patch({"status": "in_progress"}).json()["status"] == "in_progress"
    assert patch({"status": "done"}).json()["done_at"] is not None
    refused = patch({"status": "in_progress"})
    assert refused.status_code == 409 and "reopen" in refused.text
    reopened = patch({"status": "open"}).json()
    assert reopened["status"] == "open" and reopened["done_at"] is None
    for empty in ({"status": "wont_do"}, {"status": "wont_do", "reason": "  "}):
        res = patch(empty)
        assert res.status_code == 422 and "reason" in res.text
    wont = patch({"status": "wont_do", "reason": "the service is retired in January"}).json()
    assert (wont["status"], wont["reason"]) == ("wont_do", "the service is retired in January")
    back = patch({"status": "open"}).json()
    assert back["status"] == "open" and back["reason"] is None
    assert patch({"title": None}).status_code == 422
    assert patch({}).status_code == 422
    changed = patch({"title": "Roll back in one step", "due_date": "2026-12-24", "owner": None})
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["owner"]) == ("Roll back in one step", None)


def test_overdue_is_open_past_its_due_day_in_utc(api: Api, frozen: datetime) -> None:
    """With the clock frozen, an action is overdue the day after its due day while open or in
    progress, never once done; ``?overdue=true`` lists exactly those."""
    pm = _postmortem(api, _incident(api))
    soon = _add(api, pm, due_date="2026-11-24")["id"]
    later = _add(api, pm, due_date="2026-12-30")["id"]
    finished = _add(api, pm, due_date="2026-11-23")["id"]
    h = api.headers("responder")
    api.client.patch(f"{ACTIONS}/{finished}", json={"status": "done"}, headers=h)
    assert api.client.get(ACTIONS, params={"overdue": "true"}, headers=h).json() == []
    clock.advance(timedelta(days=2, hours=11, minutes=59))  # 2026-11-24 23:59 UTC: due today
    assert api.client.get(ACTIONS, params={"overdue": "true"}, headers=h).json() == []
    clock.advance(timedelta(minutes=2))  # 2026-11-25 00:01 UTC
    overdue = api.client.get(ACTIONS, params={"overdue": "true"}, headers=h).json()
    assert [a["id"] for a in overdue] == [soon] and overdue[0]["overdue"] is True
    api.client.patch(f"{ACTIONS}/{soon}", json={"status": "in_progress"}, headers=h)
    assert api.client.get(f"{ACTIONS}/{soon}", headers=h).json()["overdue"] is True
    assert api.client.get(f"{ACTIONS}/{later}", headers=h).json()["overdue"] is False


def test_list_filters_by_status_owner_service_and_must_fix(api: Api) -> None:
    """Each filter keeps only the matching actions, soonest due first."""
    pm = _postmortem(api, _incident(api))
    a = _add(api, pm, due_date="2026-12-21", must_fix=True)["id"]
    b = _add(api, pm, due_date="2026-12-20", owner="responder-u", service="orders")["id"]
    h = api.headers("viewer")

    def ids(**params: str) -> list[str]:
        return [x["id"] for x in api.client.get(ACTIONS, params=params, headers=h).json()]

    assert ids() == [b, a]
    assert ids(must_fix="true") == [a]
    assert ids(owner="responder-u") == [b]
    assert ids(owner="nobody") == []
    assert ids(service="orders") == [b]
    assert ids(status="open") == [b, a] and ids(status="done") == []
    assert api.client.get(ACTIONS, params={"status": "later"}, headers=h).status_code == 422


def test_who_may_create_and_change(api: Api) -> None:
    """A viewer and another team's responder may not add or edit; the owner (a viewer) may
    change the status but nothing else; a read-only token may not even as owner."""
    pm = _postmortem(api, _incident(api))
    owner_h = _person(api, "olga")
    apply_config(api.factory, "version: 1\nteams: [{slug: alpha, name: Alpha}]\n")
    other = _person(api, "otto", role="none", alpha="responder")
    ac = _add(api, pm, owner="olga")["id"]
    body = {"title": "x", "owner": "ana", "due_date": "2026-12-20"}
    path = f"/api/v1/postmortems/{pm}/actions"
    assert api.client.post(path, json=body, headers=api.headers("viewer")).status_code == 403
    assert api.client.post(path, json=body, headers=other).status_code == 403
    assert (
        api.client.patch(f"{ACTIONS}/{ac}", json={"title": "y"}, headers=owner_h).status_code == 403
    )
    assert (
        api.client.patch(
            f"{ACTIONS}/{ac}", json={"status": "done"}, headers=api.headers("viewer")
        ).status_code
        == 403
    )
    res = api.client.patch(f"{ACTIONS}/{ac}", json={"status": "in_progress"}, headers=owner_h)
    assert res.status_code == 200 and res.json()["status"] == "in_progress"
    with session_scope(api.factory) as session:
        olga = directory.by_handle(session, "olga")
        assert olga is not None
        read_only = token_for(session, olga, ["read"])
    res = api.client.patch(
        f"{ACTIONS}/{ac}", json={"status": "done"}, headers={"Authorization": f"Bearer {read_only}"}
    )
    assert res.status_code == 403


def test_a_private_incidents_actions_are_not_found_by_who_may_not_see_it(api: Api) -> None:
    """Actions of a private incident: 404 (the words of a missing action) and left out of lists
    for a viewer and a responder not on it; its admin reads them."""
    ref = _incident(api, "SecretLeak")
    pm = _postmortem(api, ref)
    ac = _add(api, pm, who="admin")["id"]
    res = api.client.post(
        f"/api/v1/incidents/{ref}/visibility", json={"private": True}, headers=api.headers("admin")
    )
    assert res.status_code == 200, res.text
    for role in ("viewer", "responder"):
        h = api.headers(role)
        got = api.client.get(f"{ACTIONS}/{ac}", headers=h)
        missing = api.client.get(f"{ACTIONS}/AC-77", headers=h)
        assert got.status_code == 404
        assert got.json()["detail"].replace(ac, "AC-77") == missing.json()["detail"]
        assert api.client.get(ACTIONS, headers=h).json() == []
        assert api.client.get(f"/api/v1/postmortems/{pm}/actions", headers=h).status_code == 404
        assert (
            api.client.patch(f"{ACTIONS}/{ac}", json={"status": "done"}, headers=h).status_code
            == 404
        )
        assert api.client.get(f"/api/v1/postmortems/{pm}/suggestions", headers=h).status_code == 404
    assert [a["id"] for a in api.client.get(ACTIONS, headers=api.headers("admin")).json()] == [ac]


def test_suggestions_offer_the_learn_step_and_disappear_once_added(api: Api) -> None:
    """The alert that fired, the service's dashboard and an ADR are suggested (en and pt-BR);
    adding one with ``origin`` = its key makes a follow-up action and removes it from the list."""
    pm = _postmortem(api, _incident(api, "CheckoutLatency"))
    h = api.headers("responder")
    got = api.client.get(f"/api/v1/postmortems/{pm}/suggestions", headers=h).json()
    titles = [s["title"] for s in got]
    assert "Review the alert CheckoutLatency" in titles
    assert "Write an ADR if a design decision changed" in titles
    assert any(t.startswith("Review the dashboard for") for t in titles)
    assert {s["kind"] for s in got} == {"follow_up"}
    pt = api.client.get(
        f"/api/v1/postmortems/{pm}/suggestions", params={"language": "pt-BR"}, headers=h
    ).json()
    assert "Revisar o alerta CheckoutLatency" in [s["title"] for s in pt]
    alert = next(s for s in got if s["title"] == "Review the alert CheckoutLatency")
    again = api.client.get(f"/api/v1/postmortems/{pm}/suggestions", headers=h).json()
    assert [s["key"] for s in again] == [s["key"] for s in got]  # stable keys
    made = _add(api, pm, title=alert["title"], kind="follow_up", origin=alert["key"])
    assert made["origin"] == alert["key"]
    after = api.client.get(f"/api/v1/postmortems/{pm}/suggestions", headers=h).json()
    assert alert["key"] not in [s["key"] for s in after] and len(after) == len(got) - 1


def test_unknown_postmortem_is_404_and_a_viewer_reads_lists(api: Api) -> None:
    """A postmortem that does not exist is a 404 on every route; a viewer may read actions."""
    h = api.headers("responder")
    body = {"title": "x", "owner": "ana", "due_date": "2026-12-20"}
    assert (
        api.client.post("/api/v1/postmortems/999/actions", json=body, headers=h).status_code == 404
    )
    assert api.client.get("/api/v1/postmortems/999/actions", headers=h).status_code == 404
    assert api.client.get("/api/v1/postmortems/999/suggestions", headers=h).status_code == 404
    assert api.client.get(ACTIONS, headers=api.headers("viewer")).status_code == 200


def test_a_measure_change_is_recorded_and_a_tickets_query_is_not(api: Api) -> None:
    """Changing only the measure lands on the timeline; a ticket link's query string (where a
    pasted link may carry a signature) stays out of the timeline and the audit log."""
    pm = _postmortem(api, _incident(api))
    ac = _add(api, pm)["id"]
    h = api.headers("responder")
    res = api.client.patch(f"{ACTIONS}/{ac}", json={"measure": "drill passes"}, headers=h)
    assert res.status_code == 200 and res.json()["measure"] == "drill passes"
    link = "https://jira.example.com/browse/OPS-7?sig=s3cr3t"
    res = api.client.patch(f"{ACTIONS}/{ac}", json={"ticket_url": link}, headers=h)
    assert res.status_code == 200 and res.json()["ticket_url"] == link
    with session_scope(api.factory) as session:
        changed = list(
            session.scalars(
                select(TimelineEntry.message).where(TimelineEntry.kind == "action.changed")
            )
        )
        audited = list(session.scalars(select(AuditEntry.after).where(AuditEntry.object_id == ac)))
    assert len(changed) == 2 and "measure" in changed[0]
    assert "OPS-7" in changed[1] and "s3cr3t" not in " ".join(changed) + str(audited)
