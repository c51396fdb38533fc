"""Responders through the API and the incident page: paging a user, schedule or policy,
the answers' shapes and refusals, acknowledging one's own page, joining."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from plantao.db import session_scope
from plantao.incidents.models import IncidentResponder
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from plantao.people.models import User
from tests.api.conftest import Api
from tests.api.test_incident_page import _fire, page_html, page_section, visible_text
from tests.factories.config import apply_config
from tests.factories.notify import give_contacts
from tests.factories.people import PASSWORD, make_user, token_for

# ana is on call for 'primary' (the only participant); 'empty' has nobody before 2027;
# 'dbas' pages whoever is on call for 'dba' (carla) and dora.
WORLD = """
version: 1
users:
  - {handle: ana, name: Ana}
  - {handle: bruno, name: Bruno}
  - {handle: carla, name: Carla}
  - {handle: dora, name: Dora}
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: pay}
schedules:
  - slug: primary
    name: Primary
    layers:
      - {name: w, rotation: {type: weekly, start: 2026-11-16, participants: [ana]}}
  - slug: dba
    name: DBA
    layers:
      - {name: d, rotation: {type: daily, start: 2026-11-01, participants: [carla]}}
  - slug: empty
    name: Empty
    layers:
      - {name: x, rotation: {type: daily, start: 2027-06-01, participants: [dora]}}
escalation_policies:
  - slug: pay
    name: Payments
    steps:
      - {delay: 0m, targets: [{schedule: primary}]}
  - slug: dbas
    name: DBAs
    steps:
      - {delay: 0m, targets: [{schedule: dba}, {user: dora}]}
      - {delay: 10m, targets: [{user: bruno}]}
"""


def _world(api: Api) -> str:
    apply_config(api.factory, WORLD)
    for handle in ("bruno", "carla", "dora"):
        give_contacts(
            api.factory,
            [ContactMethodSpec("mail", "email", f"{handle}@example.com")],
            handle=handle,
        )
    with session_scope(api.factory) as s:
        make_user(s, "carla").global_role = "viewer"  # a password, to log in
    return _fire(api)


def _url(ref: str, rest: str = "/responders") -> str:
    return f"/api/v1/incidents/{ref}{rest}"


def _written(api: Api) -> tuple[int, int]:
    with session_scope(api.factory) as s:
        return (
            s.scalar(select(func.count()).select_from(IncidentResponder)) or 0,
            s.scalar(
                select(func.count()).select_from(Delivery).where(Delivery.step.like("responder:%"))
            )
            or 0,
        )


def test_adding_a_policy_answers_201_with_every_responder(api: Api, frozen: datetime) -> None:
    """POST {"policy": "dbas"} pages carla and dora: 201 with the list in its documented shape;
    GET lists the same (by human id or by id); the incident's detail carries them too."""
    ref = _world(api)
    res = api.client.post(
        _url(ref),
        json={"policy": "dbas", "message": "replication lag"},
        headers=api.headers("responder"),
    )
    assert res.status_code == 201, res.text
    items = res.json()["items"]
    assert [(r["user"], r["state"], r["via"]) for r in items] == [
        ("carla", "paged", "policy:dbas"),
        ("dora", "paged", "policy:dbas"),
    ]
    assert set(items[0]) == {
        "user",
        "name",
        "state",
        "via",
        "added_by",
        "added_at",
        "paged_at",
        "acknowledged_at",
        "joined_at",
    }
    assert items[0]["added_by"] == "responder-u" and items[0]["paged_at"] is not None
    listed = api.client.get(_url(ref), headers=api.headers("viewer"))
    assert listed.status_code == 200 and listed.json()["items"] == items
    detail = api.client.get(_url(ref, ""), headers=api.headers("viewer")).json()
    assert [r["user"] for r in detail["responders"]] == ["carla", "dora"]
    by_id = api.client.get(_url(str(detail["id"])), headers=api.headers("viewer"))
    assert by_id.status_code == 200 and by_id.json()["items"] == items
    assert _written(api) == (2, 2)


def test_bad_requests_are_refused_and_change_nothing(api: Api, frozen: datetime) -> None:
    """Zero or two sources: 422; unknown schedule or user: 404; an empty schedule: 409
    saying nobody is on call; a second add of the same person: 409. Nothing is written."""
    ref = _world(api)
    headers = api.headers("responder")
    answers = [
        api.client.post(_url(ref), json=body, headers=headers)
        for body in (
            {},
            {"user": "carla", "schedule": "dba"},
            {"schedule": "no-such"},
            {"user": "no-such"},
            {"schedule": "empty"},
            {"team": "sre"},
        )
    ]
    assert [a.status_code for a in answers] == [422, 422, 404, 404, 409, 422]
    assert answers[0].headers["content-type"].startswith("application/problem+json")
    assert "exactly one of user, schedule or policy" in answers[0].json()["detail"]
    assert "schedule 'empty' has nobody on call now" in answers[4].json()["detail"]
    assert _written(api) == (0, 0)
    first = api.client.post(_url(ref), json={"schedule": "dba"}, headers=headers)
    again = api.client.post(_url(ref), json={"user": "carla"}, headers=headers)
    assert first.status_code == 201 and again.status_code == 409
    assert "carla is already a responder" in again.json()["detail"]
    assert _written(api) == (1, 1)


def test_a_viewer_may_read_but_not_page(api: Api, frozen: datetime) -> None:
    """A viewer gets 403 adding a responder or joining, and nothing is written."""
    ref = _world(api)
    viewer = api.headers("viewer")
    assert api.client.post(_url(ref), json={"user": "carla"}, headers=viewer).status_code == 403
    assert api.client.post(_url(ref, "/join"), headers=viewer).status_code == 403
    assert api.client.get(_url(ref), headers=viewer).status_code == 200
    assert _written(api) == (0, 0)


def test_only_the_paged_person_acknowledges_their_page(api: Api, frozen: datetime) -> None:
    """Someone else acknowledging carla's page is 403; carla herself moves to acknowledged
    (again is a no-op 200); then she joins; a person who is no responder gets 404."""
    ref = _world(api)
    api.client.post(_url(ref), json={"user": "carla"}, headers=api.headers("responder"))
    with session_scope(api.factory) as s:
        carla, dora = (
            token_for(s, s.scalars(select(User).where(User.handle == h)).one(), ["respond"])
            for h in ("carla", "dora")
        )
    as_carla = {"Authorization": f"Bearer {carla}"}
    ack = _url(ref, "/responders/carla/acknowledge")
    assert api.client.post(ack, headers=api.headers("admin")).status_code == 403
    first = api.client.post(ack, headers=as_carla)
    assert first.status_code == 200, first.text
    assert [(r["user"], r["state"]) for r in first.json()["items"]] == [("carla", "acknowledged")]
    assert api.client.post(ack, headers=as_carla).status_code == 200
    joined = api.client.post(_url(ref, "/join"), headers=as_carla)
    assert joined.status_code == 200
    assert joined.json()["items"][0]["state"] == "joined"
    assert joined.json()["items"][0]["joined_at"] is not None
    dora_ack = api.client.post(
        _url(ref, "/responders/dora/acknowledge"), headers={"Authorization": f"Bearer {dora}"}
    )
    assert dora_ack.status_code == 404


def test_the_page_pages_a_schedule_and_shows_states(api: Api, frozen: datetime) -> None:
    """On the incident page: the form offers schedules with who is on call; paging 'dba'
    shows carla as paged; an empty schedule is refused in pt-BR with the form kept (and the
    timeline says who was paged in pt-BR); carla, logged in, acknowledges her page, then
    joins."""
    ref = _world(api)
    api.login("responder")
    page = page_html(api, ref)
    panel = page_section(page, "inc-responders")
    assert '<option value="schedule:dba">DBA (on call: carla)</option>' in panel
    assert '<option value="schedule:empty">Empty (nobody on call)</option>' in panel
    assert '<option value="policy:dbas">DBAs</option>' in panel
    res = api.client.post(
        f"/incidents/{ref}/responders",
        data={"csrf": api.csrf(page), "target": "schedule:dba", "message": "lag"},
    )
    assert res.status_code == 200
    text = visible_text(page_section(res.text, "inc-responders"))
    assert "Carla (carla) Paged on call on schedule dba · added by responder-u" in text
    paged = visible_text(page_section(res.text, "inc-oncall"))
    assert "Carla (carla) · added by responder-u · high urgency" in paged
    page_html(api, ref, "?lang=pt-BR")
    refused = api.client.post(
        f"/incidents/{ref}/responders",
        data={"csrf": api.csrf(page), "target": "schedule:empty", "message": "socorro"},
    )
    assert refused.status_code == 409
    assert "a escala &#39;empty&#39; não tem ninguém de plantão agora" in refused.text
    assert 'value="socorro"' in refused.text
    assert '<option value="schedule:empty" selected>' in refused.text
    assert "Acionou carla como responsável (pela escala &#39;dba&#39;): lag" in refused.text
    page_html(api, ref, "?lang=en")
    api.client.post("/logout", data={"csrf": api.csrf(page)})
    api.client.post("/login", data={"handle": "carla", "password": PASSWORD, "next": "/"})
    mine = page_html(api, ref)
    assert "You were paged as a responder on this incident." in visible_text(mine)
    acked = api.client.post(
        f"/incidents/{ref}/responders/acknowledge", data={"csrf": api.csrf(mine)}
    )
    assert acked.status_code == 200
    assert 'data-user="carla" data-state="acknowledged"' in acked.text
    joined = api.client.post(f"/incidents/{ref}/join", data={"csrf": api.csrf(mine)})
    assert 'data-user="carla" data-state="joined"' in joined.text


def test_the_mailed_ack_link_answers_the_page_of_an_acknowledged_incident(
    api: Api, frozen: datetime
) -> None:
    """The incident is acknowledged; carla, paged afterwards, posts her page's ack link: 200,
    "carla acknowledged the page as a responder", and she is acknowledged (not a no-op)."""
    ref = _world(api)
    assert (
        api.client.post(_url(ref, "/acknowledge"), headers=api.headers("responder")).status_code
        == 200
    )
    api.client.post(_url(ref), json={"user": "carla"}, headers=api.headers("responder"))
    with session_scope(api.factory) as s:
        links = s.scalars(select(Delivery.links).where(Delivery.step == "responder:user")).one()
    url = next(link["url"] for link in links if link["action"] == "ack")
    path = url.removeprefix("http://plantao.test")
    done = api.client.post(path, data={"action": "ack"})
    assert done.status_code == 200, done.text
    assert "carla acknowledged the page as a responder." in visible_text(done.text)
    items = api.client.get(_url(ref), headers=api.headers("viewer")).json()["items"]
    assert [(r["user"], r["state"]) for r in items] == [("carla", "acknowledged")]
