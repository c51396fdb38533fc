"""The status updates card on the incident page and the list's overdue badge, without
JavaScript: the form posts an update with a next step, a refused one keeps what was typed,
a late update is red on the page and on the list, in English and pt-BR."""

from __future__ import annotations

from datetime import datetime, timedelta

from plantao import clock
from plantao.config import Settings
from plantao.engine.handlers import registry
from plantao.engine.reactions import ReactionStep
from plantao.engine.runner import EngineLoop
from tests.api.conftest import Api
from tests.api.test_incident_page import page_html, page_section, visible_text
from tests.factories.config import GENERIC_KEY


def _open(api: Api) -> str:
    return api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Checkout down", "dedup_key": "cd", "severity": "critical"},
    )


def _form(api: Api, ref: str, **fields: str) -> dict[str, str]:
    return {"csrf": api.csrf(page_html(api, ref)), "status": "identified"} | fields


def test_the_form_posts_an_update_and_the_card_lists_it(api: Api, frozen: datetime) -> None:
    """A responder posts from the page (303 back), and the card shows the update with its next
    step, owner and ETA, and the next due time 15 min later (Sev1)."""
    ref = _open(api)
    api.login("responder")
    card = visible_text(page_section(page_html(api, ref), "inc-updates"))
    assert "Next update due" in card and "No status update yet." in card
    body = _form(
        api,
        ref,
        impact="10% of checkouts fail",
        mitigation="traffic shifted to the other region",
        step_action="roll back v1.3",
        step_owner="ana",
        step_eta="2026-11-22T09:30",  # the responder's zone (UTC in tests): 09:30 UTC
        next_update_at="",
    )
    res = api.client.post(f"/incidents/{ref}/status-updates", data=body, follow_redirects=False)
    assert res.status_code == 303, res.text
    card = visible_text(page_section(page_html(api, ref), "inc-updates"))
    assert "Initial" in card and "Identified" in card and "10% of checkouts fail" in card
    assert "roll back v1.3" in card and "ana" in card
    assert "by responder-u" in card
    timeline = visible_text(page_section(page_html(api, ref, "?lang=pt-BR"), "inc-timeline"))
    assert "Atualização de status Inicial (Identificado): 10% of checkouts fail" in timeline
    res = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer"))
    assert datetime.fromisoformat(res.json()["next_update_due_at"]) == frozen + timedelta(
        minutes=15
    )


def test_a_refused_update_keeps_what_was_typed(api: Api, frozen: datetime) -> None:
    """Resolved without root cause or fix: 422, the page says why and keeps the impact typed,
    and nothing is posted."""
    ref = _open(api)
    api.login("responder")
    body = _form(api, ref, status="resolved", impact="all good again", monitoring="2 h")
    res = api.client.post(f"/incidents/{ref}/status-updates", data=body)
    assert res.status_code == 422
    assert "The update was not posted" in visible_text(res.text)
    assert "root_cause" in visible_text(res.text)
    assert ">all good again</textarea>" in res.text
    listed = api.client.get(
        f"/api/v1/incidents/{ref}/status-updates", headers=api.headers("viewer")
    )
    assert listed.json() == []


def test_a_late_update_is_red_on_the_page_and_the_list(api: Api, frozen: datetime) -> None:
    """Past the Sev1 first-message time (5 min): the card and the list row both carry the red
    "update overdue" badge; a viewer sees it but has no form; pt-BR words it too, and the
    engine's reminder entry on the timeline."""
    ref = _open(api)
    clock.advance(timedelta(minutes=6))
    api.login("viewer")
    card = page_section(page_html(api, ref), "inc-updates")
    assert 'class="status overdue upd-overdue"' in card
    assert "update overdue" in visible_text(card)
    assert 'id="upd-form"' not in card
    listing = api.client.get("/")
    assert listing.status_code == 200
    row = listing.text.split(f'data-ref="{ref}"', 1)[1].split("</tr>", 1)[0]
    assert "upd-overdue" in row and "update overdue" in row
    portuguese = visible_text(page_section(page_html(api, ref, "?lang=pt-BR"), "inc-updates"))
    assert "atualização atrasada" in portuguese and "Atualizações de status" in portuguese
    loop = EngineLoop(api.factory, registry(Settings(env="test")), steps=[ReactionStep()])
    while loop.run_once():
        pass
    timeline = visible_text(page_section(page_html(api, ref, "?lang=pt-BR"), "inc-timeline"))
    assert "Atualização de status atrasada (vencia" in timeline
    assert "lembrete para ninguém (sem Comms Lead, IC ou responsável)" in timeline
