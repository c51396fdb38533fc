"""The on-call shift API: checklist and ticks, test pages, schedule checklists, routines and
their tasks — status codes, problem bodies, and nothing changed by a refused request."""

from __future__ import annotations

from datetime import datetime, timedelta

from plantao import clock
from plantao.db import run_transaction
from plantao.notify.specs import ContactMethodSpec
from plantao.oncall import routines
from tests.api.conftest import Api
from tests.factories.config import apply_config
from tests.factories.notify import give_contacts

# The frozen start (Sunday 2026-11-22 12:00 UTC) falls in responder-u's daily turn.
DESK = """
schedules:
  - slug: desk
    name: Desk
    time_zone: America/Sao_Paulo
    layers:
      - {name: daily, rotation: {type: daily, handoff: "09:00", start: 2026-11-22,
         participants: [responder-u, admin-u]}}
"""
TICK = "/api/v1/me/shift/desk/ticks/{item}"
ROUTINE = {
    "title_en": "Review the alerts",
    "title_pt-BR": "Revisar os alertas",
    "recurrence": {"every": "daily", "at": "09:30", "time_zone": "America/Sao_Paulo"},
    "team": "sre",
    "schedule": "desk",
    "remind_after_seconds": 3600,
}


def _problem(res: object, status: int, words: str) -> None:
    assert getattr(res, "status_code", None) == status, getattr(res, "text", "")
    body = res.json()  # type: ignore[attr-defined]
    assert res.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert words in body["detail"], body


def test_my_shift_lists_default_items_and_ticks(api: Api, frozen: datetime) -> None:
    """The person on call sees the seed's checklist; tick and untick are stored per shift."""
    apply_config(api.factory, DESK)
    me = api.headers("responder")
    [shift] = api.client.get("/api/v1/me/shift", headers=me).json()["shifts"]
    assert shift["schedule"] == "desk" and shift["declared"] is False
    assert shift["start"].startswith("2026-11-22T12:00:00")
    assert {i["phase"] for i in shift["items"]} == {"start", "during", "end"}
    assert shift["items"][0]["key"] == "test-page" and shift["items"][0]["pt-BR"]
    res = api.client.put(TICK.format(item="test-page"), headers=me)
    assert res.status_code == 200, res.text
    ticked = {i["key"]: i["ticked_at"] for i in res.json()["items"]}
    assert ticked["test-page"] is not None and ticked["read-handoff"] is None
    again = api.client.put(TICK.format(item="test-page"), headers=me).json()
    assert again["items"][0]["ticked_at"] == res.json()["items"][0]["ticked_at"]
    gone = api.client.delete(TICK.format(item="test-page"), headers=me).json()
    assert gone["items"][0]["ticked_at"] is None
    _problem(api.client.put(TICK.format(item="no-such"), headers=me), 404, "no item 'no-such'")


def test_next_shift_starts_with_no_ticks(api: Api, frozen: datetime) -> None:
    """A tick belongs to its shift: the same person's next shift starts empty."""
    apply_config(api.factory, DESK)
    me = api.headers("responder")
    api.client.put(TICK.format(item="calendar"), headers=me)
    clock.advance(timedelta(days=2))  # responder-u's next daily turn
    [shift] = api.client.get("/api/v1/me/shift", headers=me).json()["shifts"]
    assert shift["start"].startswith("2026-11-24T12:00:00")
    assert all(i["ticked_at"] is None for i in shift["items"])


def test_not_on_call_sees_nothing_and_cannot_tick(api: Api, frozen: datetime) -> None:
    """Someone not on call now (admin-u's turn is tomorrow) gets no shift, and a tick is a
    409 that stores nothing; a read-only token may not tick at all (403)."""
    apply_config(api.factory, DESK)
    admin = api.headers("admin")
    assert api.client.get("/api/v1/me/shift", headers=admin).json() == {"shifts": []}
    _problem(api.client.put(TICK.format(item="calendar"), headers=admin), 409, "not on call")
    read_only = api.client.put(TICK.format(item="calendar"), headers=api.headers("viewer"))
    _problem(read_only, 403, "scopes")
    [shift] = api.client.get("/api/v1/me/shift", headers=api.headers("responder")).json()["shifts"]
    assert all(i["ticked_at"] is None for i in shift["items"])


def test_test_page_accepted_then_rate_limited(api: Api, frozen: datetime) -> None:
    """202 with an id, the result per method pending; a second within a minute is a 409."""
    give_contacts(
        api.factory,
        [ContactMethodSpec("mail", "email", "r@example.com")],
        handle="responder-u",
    )
    me = api.headers("responder")
    res = api.client.post("/api/v1/me/test-page", headers=me)
    assert res.status_code == 202, res.text
    page = api.client.get(f"/api/v1/me/test-pages/{res.json()['id']}", headers=me).json()
    assert page["status"] == "pending"
    assert [(m["contact_method"], m["channel"], m["status"]) for m in page["methods"]] == [
        ("mail", "email", "pending")
    ]
    _problem(api.client.post("/api/v1/me/test-page", headers=me), 409, "try again in 60 s")
    other = api.client.get(
        f"/api/v1/me/test-pages/{res.json()['id']}", headers=api.headers("admin")
    )
    _problem(other, 404, "does not exist")


def test_test_page_without_contact_methods_is_422(api: Api, frozen: datetime) -> None:
    """Nobody to page: a 422 naming the problem."""
    _problem(
        api.client.post("/api/v1/me/test-page", headers=api.headers("admin")), 422, "no contact"
    )


def test_schedule_checklist_declared_and_reset(api: Api, frozen: datetime) -> None:
    """An admin declares a checklist (shown to who is on call), a bad one is refused, reset."""
    apply_config(api.factory, DESK)
    admin = api.headers("admin")
    url = "/api/v1/schedules/desk/checklist"
    body = {
        "items": [
            {"key": "coffee", "phase": "start", "en": "Make coffee", "pt-BR": "Faça café"},
            {"key": "bye", "phase": "end", "en": "Say bye", "pt-BR": "Diga tchau"},
        ]
    }
    res = api.client.put(url, json=body, headers=admin)
    assert res.status_code == 200 and res.json()["declared"] is True, res.text
    [shift] = api.client.get("/api/v1/me/shift", headers=api.headers("responder")).json()["shifts"]
    assert [i["key"] for i in shift["items"]] == ["coffee", "bye"]
    twice = {"items": [body["items"][0], body["items"][0]]}
    _problem(api.client.put(url, json=twice, headers=admin), 422, "not valid")
    assert [i["key"] for i in api.client.get(url, headers=admin).json()["items"]] == [
        "coffee",
        "bye",
    ]
    assert api.client.put(url, json=body, headers=api.headers("viewer")).status_code == 403
    reset = api.client.delete(url, headers=admin).json()
    assert reset["declared"] is False and reset["items"][0]["key"] == "test-page"


def test_routine_declared_task_done_once(api: Api, frozen: datetime) -> None:
    """A routine over the API; the engine's task goes to who is on call; done once, then 409."""
    apply_config(api.factory, DESK)
    admin = api.headers("admin")
    res = api.client.put("/api/v1/routines/alert-review", json=ROUTINE, headers=admin)
    assert res.status_code == 200, res.text
    assert res.json()["next_due_at"].startswith("2026-11-22T12:30:00")
    bad = {**ROUTINE, "recurrence": {"every": "daily", "time_zone": "Mars/Olympus"}}
    _problem(api.client.put("/api/v1/routines/x", json=bad, headers=admin), 422, "time_zone")
    nowhere = {**ROUTINE, "schedule": "nowhere"}
    _problem(api.client.put("/api/v1/routines/x", json=nowhere, headers=admin), 422, "schedule")
    assert [r["slug"] for r in api.client.get("/api/v1/routines", headers=admin).json()] == [
        "alert-review"
    ]
    clock.advance(timedelta(minutes=30))
    assert run_transaction(api.factory, routines.create_due_tasks) == 1
    me = api.headers("responder")
    [task] = api.client.get("/api/v1/routine-tasks?mine=true&open=true", headers=me).json()
    assert task["assignee"] == "responder-u" and task["done_at"] is None
    done = api.client.post(
        f"/api/v1/routine-tasks/{task['id']}/done", json={"note": "ok"}, headers=me
    )
    assert done.status_code == 200 and done.json()["done_by"] == "responder-u", done.text
    again = api.client.post(f"/api/v1/routine-tasks/{task['id']}/done", json={}, headers=me)
    _problem(again, 409, "already done by responder-u")
    assert api.client.get("/api/v1/routine-tasks?open=true", headers=me).json() == []
    viewer = api.client.post(
        f"/api/v1/routine-tasks/{task['id']}/reopen", headers=api.headers("viewer")
    )
    assert viewer.status_code == 403
