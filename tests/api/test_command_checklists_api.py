"""The setup and close checklists through the API and the incident page: reading both lists,
ticking (and what is refused), and closing with unchecked items (refused without a reason,
recorded with one) from the API and from the browser's forms."""

from __future__ import annotations

from datetime import datetime

from httpx import Response

from tests.api.conftest import Api
from tests.api.test_incident_page import page_html, page_section, visible_text
from tests.factories.config import GENERIC_KEY

CLOSE_ITEMS = ["impact_normal", "before_after", "stakeholders_notified", "postmortem_scheduled"]


def _incident(api: Api) -> str:
    return api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Checkout 5xx", "dedup_key": "c5", "severity": "error"},
    )


def _lists(api: Api, ref: str, lang: str = "en") -> dict[str, object]:
    res = api.client.get(
        f"/api/v1/incidents/{ref}/command-checklists",
        params={"lang": lang},
        headers=api.headers("viewer"),
    )
    assert res.status_code == 200, res.text
    body: dict[str, object] = res.json()
    return body


def _items(body: dict[str, object], name: str) -> dict[str, dict[str, object]]:
    checklist = body[name]
    assert isinstance(checklist, dict)
    return {item["id"]: item for item in checklist["items"]}


def _tick(api: Api, ref: str, checklist: str, item: str, body: object) -> Response:
    res: Response = api.client.put(
        f"/api/v1/incidents/{ref}/command-checklists/{checklist}/{item}",
        json=body,
        headers=api.headers("responder"),
    )
    return res


def test_reading_and_ticking_through_the_api(api: Api, frozen: datetime) -> None:
    """Both lists come back with every item to do; a responder ticks the status page as
    public (done, source tick, by them); a computed item is 409, a bad value 422, an unknown
    item 404, and a viewer may not tick (403); labels follow ?lang."""
    ref = _incident(api)
    body = _lists(api, ref)
    setup = _items(body, "setup")
    assert list(setup) == ["roles", "timeline", "status_page", "mitigation_plan", "next_update"]
    assert not any(item["done"] for item in setup.values())
    assert setup["roles"]["label"] == "Incident Commander, Comms Lead and Scribe set"
    assert list(_items(body, "close")) == CLOSE_ITEMS
    res = _tick(api, ref, "setup", "status_page", {"done": True, "value": "public"})
    assert res.status_code == 200, res.text
    ticked = _items(res.json(), "setup")["status_page"]
    assert (ticked["done"], ticked["source"], ticked["by"], ticked["value"]) == (
        True,
        "tick",
        "responder-u",
        "public",
    )
    assert _tick(api, ref, "setup", "roles", {"done": True}).status_code == 409
    bad = _tick(api, ref, "close", "postmortem_scheduled", {"done": True, "value": "soon"})
    assert bad.status_code == 422
    assert _tick(api, ref, "setup", "nope", {"done": True}).status_code == 404
    denied = api.client.put(
        f"/api/v1/incidents/{ref}/command-checklists/setup/status_page",
        json={"done": False},
        headers=api.headers("viewer"),
    )
    assert denied.status_code == 403
    after = _lists(api, ref, "pt-BR")
    assert _items(after, "setup")["status_page"]["done"] is True
    assert _items(after, "close")["postmortem_scheduled"]["done"] is False
    assert _items(after, "setup")["roles"]["label"] == "IC, Comms Lead e Scribe definidos"


def _resolve(api: Api, ref: str) -> None:
    res = api.client.post(f"/api/v1/incidents/{ref}/resolve", headers=api.headers("responder"))
    assert res.status_code == 200, res.text


def test_api_close_needs_a_reason_while_items_are_unchecked(api: Api, frozen: datetime) -> None:
    """Closing a resolved incident with the close list unchecked: 409 naming the items and the
    incident stays resolved; with a reason it closes and the timeline says what was skipped."""
    ref = _incident(api)
    _resolve(api, ref)
    url = f"/api/v1/incidents/{ref}/close"
    refused = api.client.post(url, headers=api.headers("responder"))
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["item"] for e in refused.json()["errors"]] == CLOSE_ITEMS
    assert "Impact graph back to normal" in refused.json()["detail"]
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["status"] == "resolved"
    closed = api.client.post(
        url, json={"reason": "graphs reviewed in the call"}, headers=api.headers("responder")
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    [skipped] = [e for e in closed.json()["timeline"] if e["kind"] == "checklist.skipped"]
    assert skipped["data"] == {
        "checklist": "close",
        "items": CLOSE_ITEMS,
        "reason": "graphs reviewed in the call",
    }


def test_close_list_answered_closes_without_reason(api: Api, frozen: datetime) -> None:
    """With every close item ticked, a plain close works and nothing is recorded as skipped."""
    ref = _incident(api)
    _resolve(api, ref)
    for item, value in (
        ("impact_normal", None),
        ("before_after", "https://grafana.example/d/x"),
        ("stakeholders_notified", None),
        ("postmortem_scheduled", "2026-12-09"),
    ):
        assert _tick(api, ref, "close", item, {"done": True, "value": value}).status_code == 200
    closed = api.client.post(f"/api/v1/incidents/{ref}/close", headers=api.headers("responder"))
    assert closed.status_code == 200, closed.text
    assert not [e for e in closed.json()["timeline"] if e["kind"] == "checklist.skipped"]


def test_page_shows_setup_list_and_ticks_through_its_form(api: Api, frozen: datetime) -> None:
    """The incident page shows the setup list while it is incomplete, with a tick form per
    item a person answers; posting the status page form ticks it (303 back to the page), and
    the timeline says so in the reader's language."""
    ref = _incident(api)
    api.login("responder")
    page = page_html(api, ref)
    section = page_section(page, "inc-command-checklists")
    text = visible_text(section)
    assert "Incident setup" in text and "0 of 5 done" in text
    assert "Before closing" not in text  # the close list waits for the resolution
    assert f'action="/incidents/{ref}/command-checklists/setup/status_page"' in section
    res = api.client.post(
        f"/incidents/{ref}/command-checklists/setup/status_page",
        data={"csrf": api.csrf(page), "done": "1", "value": "not_needed"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    text = visible_text(page_section(page_html(api, ref), "inc-command-checklists"))
    assert "1 of 5 done" in text and "Not needed" in text and "ticked by responder-u" in text
    pt_page = page_html(api, ref, "?lang=pt-BR")
    portuguese = visible_text(page_section(pt_page, "inc-command-checklists"))
    assert "Preparação do incidente" in portuguese and "Não se aplica" in portuguese
    timeline = visible_text(page_section(pt_page, "inc-timeline"))
    assert "Marcado “Status Page decidido: público, ou não se aplica”: Não se aplica" in timeline


def test_page_close_button_refused_then_closed_with_reason(api: Api, frozen: datetime) -> None:
    """Resolved: the close list shows; the summary's Close button (no reason) comes back 409
    naming the unchecked items in the reader's language, still resolved; the close form with
    a reason closes it."""
    ref = _incident(api)
    _resolve(api, ref)
    api.login("responder")
    page = page_html(api, ref)
    assert "Before closing" in visible_text(page_section(page, "inc-command-checklists"))
    refused = api.client.post(
        f"/incidents/{ref}/close?lang=pt-BR", data={"csrf": api.csrf(page)}, follow_redirects=False
    )
    assert refused.status_code == 409
    banner = visible_text(refused.text)
    assert "Não encerrado: estes itens do checklist de encerramento estão pendentes" in banner
    assert "Gráfico de impacto de volta ao normal" in banner
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["status"] == "resolved"
    closed = api.client.post(
        f"/incidents/{ref}/close",
        data={"csrf": api.csrf(page), "reason": "customer confirmed recovery"},
        follow_redirects=False,
    )
    assert closed.status_code == 303
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["status"] == "closed"
    [skipped] = [e for e in detail["timeline"] if e["kind"] == "checklist.skipped"]
    assert skipped["actor"] == "responder-u"
    assert skipped["data"]["reason"] == "customer confirmed recovery"
