"""The handoff pages: the list per schedule, the detail in the viewer's language, the notes and
"send now" forms for who may use them, and refusals that keep what was typed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plantao import clock
from plantao.engine.handoff_step import HandoffStep
from tests.api.conftest import Api
from tests.factories.handoffs import AFTER_DST, script_shift, setup_handoffs


@pytest.fixture
def handoff(api: Api, frozen: object) -> int:
    setup_handoffs(api.factory)
    script_shift(api.factory)
    clock.freeze(AFTER_DST - timedelta(minutes=30))
    HandoffStep(every=0)(api.factory, "engine-1")
    res = api.client.get("/api/v1/handoffs?schedule=lisbon", headers=api.headers("viewer"))
    return int(next(h["id"] for h in res.json() if h["incoming"] == ["ana"]))


def test_list_and_detail_in_portuguese(api: Api, handoff: int) -> None:
    """A viewer sees the schedule's handoffs and one handoff's text in pt-BR, with no forms."""
    api.login("viewer")
    listing = api.client.get("/handoffs?schedule=lisbon&lang=pt-BR")
    assert listing.status_code == 200
    assert f'href="/handoffs/{handoff}"' in listing.text
    assert "Incidente ativo" in listing.text
    page = api.client.get(f"/handoffs/{handoff}")
    assert page.status_code == 200
    assert "Passagem de plantão" in page.text
    assert "Payments latency" in page.text
    assert 'action="/handoffs/' not in page.text
    assert "style=" not in page.text and "<script>" not in page.text


def test_unknown_schedule_renders_the_error(api: Api, handoff: int) -> None:
    """A schedule that does not exist is a 404 page that says which."""
    api.login("viewer")
    res = api.client.get("/handoffs?schedule=nope")
    assert res.status_code == 404
    assert "nope" in res.text


def test_admin_saves_notes_and_sends_now(api: Api, handoff: int) -> None:
    """An admin's notes show in the text; "send now" makes the engine send it; then the forms
    are gone and a stale form is refused with the page again."""
    api.login("admin")
    page = api.client.get(f"/handoffs/{handoff}")
    csrf = api.csrf(page.text)
    saved = api.client.post(
        f"/handoffs/{handoff}/notes",
        data={"csrf": csrf, "notes": "Cache warming after the rollback"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "Cache warming after the rollback" in api.client.get(saved.headers["location"]).text
    sent = api.client.post(f"/handoffs/{handoff}/send", data={"csrf": csrf}, follow_redirects=False)
    assert sent.status_code == 303
    assert HandoffStep(every=0)(api.factory, "engine-1") == 1
    after = api.client.get(f"/handoffs/{handoff}")
    assert 'id="ho-send-now"' not in after.text
    assert "sre-chat" in after.text
    stale = api.client.post(
        f"/handoffs/{handoff}/notes", data={"csrf": csrf, "notes": "typed too late"}
    )
    assert stale.status_code == 409
    assert "already sent" in stale.text
