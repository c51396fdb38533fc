"""The handoff API: listing with text and recipients, notes only by the outgoing person (or a
team manager or admin) and only before sending, "send now", and refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from plantao import clock
from plantao.db import session_scope
from plantao.engine.handoff_step import HandoffStep
from plantao.people.models import User
from tests.api.conftest import Api
from tests.factories.handoffs import AFTER_DST, script_shift, setup_handoffs
from tests.factories.people import token_for

URL = "/api/v1/handoffs"


@pytest.fixture
def handoff(api: Api, frozen: object) -> int:
    """bruno → ana at AFTER_DST, drafted 30 min before; tokens for both."""
    setup_handoffs(api.factory)
    script_shift(api.factory)
    with session_scope(api.factory) as s:
        for handle in ("ana", "bruno"):
            user = s.scalars(select(User).where(User.handle == handle)).one()
            api.tokens[handle] = token_for(s, user, ["read", "respond"])
    clock.freeze(AFTER_DST - timedelta(minutes=30))
    HandoffStep(every=0)(api.factory, "engine-1")
    res = api.client.get(URL, params={"schedule": "lisbon"}, headers=api.headers("viewer"))
    assert res.status_code == 200, res.text
    (found,) = [h for h in res.json() if h["incoming"] == ["ana"]]
    return int(found["id"])


def test_list_by_schedule_has_text_recipients_and_language(api: Api, handoff: int) -> None:
    """The list names the schedule's handoffs with their text, in the asked language."""
    res = api.client.get(
        URL, params={"schedule": "lisbon", "lang": "pt-BR"}, headers=api.headers("viewer")
    )
    assert res.status_code == 200
    (body,) = [h for h in res.json() if h["id"] == handoff]
    assert body["schedule"] == "lisbon"
    assert body["outgoing"] == ["bruno"]
    assert body["status"] == "draft"
    assert body["overall"] == "active_incident"
    assert body["recipients"] == []
    assert "Passagem de plantão" in body["subject"]
    assert "Payments latency" in body["text"]
    assert "rolled back release 4.2" in body["text"]
    assert body["can_edit"] is False  # a viewer


def test_unknown_schedule_is_a_404_problem(api: Api, handoff: int) -> None:
    """Asking for a schedule that does not exist says so."""
    res = api.client.get(URL, params={"schedule": "nope"}, headers=api.headers("viewer"))
    assert res.status_code == 404
    assert res.headers["content-type"].startswith("application/problem+json")
    assert "nope" in res.json()["detail"]


def test_outgoing_edits_incoming_is_refused(api: Api, handoff: int) -> None:
    """bruno's notes are saved and shown; ana's attempt is a 403 and changes nothing."""
    res = api.client.patch(
        f"{URL}/{handoff}", json={"notes": "Campaign traffic"}, headers=api.headers("bruno")
    )
    assert res.status_code == 200, res.text
    assert res.json()["notes"] == "Campaign traffic"
    assert res.json()["notes_by"] == "bruno"
    assert "Campaign traffic" in res.json()["text"]
    refused = api.client.patch(
        f"{URL}/{handoff}", json={"notes": "mine"}, headers=api.headers("ana")
    )
    assert refused.status_code == 403
    too_long = api.client.patch(
        f"{URL}/{handoff}", json={"notes": "x" * 10_001}, headers=api.headers("admin")
    )
    assert too_long.status_code == 422
    after = api.client.get(f"{URL}/{handoff}", headers=api.headers("viewer")).json()
    assert after["notes"] == "Campaign traffic"


def test_send_now_then_sent_is_final(api: Api, handoff: int) -> None:
    """ "Send now" makes it due; the engine sends it with recipients; changes after are 409."""
    res = api.client.post(f"{URL}/{handoff}/send", headers=api.headers("bruno"))
    assert res.status_code == 202, res.text
    assert res.json()["status"] == "draft"
    assert HandoffStep(every=0)(api.factory, "engine-1") == 1
    body = api.client.get(f"{URL}/{handoff}", headers=api.headers("viewer")).json()
    assert body["status"] == "sent"
    assert [r["handle"] for r in body["recipients"] if r["kind"] == "person"] == ["ana"]
    assert [r["name"] for r in body["recipients"] if r["kind"] == "channel"] == ["sre-chat"]
    for method, path, payload in (
        ("PATCH", f"{URL}/{handoff}", {"notes": "late"}),
        ("POST", f"{URL}/{handoff}/send", None),
    ):
        late = api.client.request(method, path, json=payload, headers=api.headers("bruno"))
        assert late.status_code == 409, late.text
    assert api.client.get(f"{URL}/{handoff}", headers=api.headers("viewer")).json()["notes"] == ""


def test_anonymous_is_refused(api: Api, handoff: int) -> None:
    """Handoffs name people and incidents: no token, no list."""
    assert api.client.get(URL).status_code == 401


def test_unstorable_input_is_refused_cleanly(api: Api, handoff: int) -> None:
    """A NUL in the notes is a 422 and a NUL in the schedule a 404, on both databases."""
    res = api.client.patch(
        f"{URL}/{handoff}", json={"notes": "a\x00b"}, headers=api.headers("admin")
    )
    assert res.status_code == 422
    assert "notes" in res.json()["detail"]
    listing = api.client.get(URL, params={"schedule": "x\x00"}, headers=api.headers("viewer"))
    assert listing.status_code == 404
