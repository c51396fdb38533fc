"""A high risk posture recorded on an acknowledged incident, through the API or the incident
page's risk form, escalates the policy's unresolved levels at once (seed 003 §9.1)."""

from __future__ import annotations

import pytest

from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.oncall import escalations
from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY, apply_config
from tests.factories.oncall import oncall_loop, pages, responders, settle

CONFIG = (
    responders("main")
    + """escalation_policies:
  - slug: main
    name: Main
    unresolved: true
    steps:
      - {targets: [{user: ana}]}
      - {delay: 5m, targets: [{user: bruno}]}
      - {delay: 5m, targets: [{user: carla}]}
"""
)


def _acknowledged(api: Api) -> tuple[str, int]:
    apply_config(api.factory, CONFIG)
    loop = oncall_loop(api.factory)
    ref = api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {"title": "Card data in logs", "severity": "critical", "labels": {"service": "checkout"}},
    )
    settle(loop)
    res = api.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=api.headers("admin"))
    assert res.status_code == 200, res.text
    settle(loop)
    with session_scope(api.factory) as s:
        incident_id = incident_service.get(s, ref).id
        esc = escalations.get(s, incident_id)
        assert esc is not None and esc.unresolved_due_at is not None  # level 2 waits 30 min
    shown = api.client.get(f"/api/v1/incidents/{ref}/escalation", headers=api.headers("viewer"))
    assert shown.status_code == 200 and shown.json()["unresolved_level"] == 2
    assert shown.json()["unresolved_due_at"] is not None
    return ref, incident_id


@pytest.mark.parametrize("level", ["high", "medium"])
def test_api_risk_high_escalates_levels_at_once(api: Api, level: str) -> None:
    """POST /risk with level high pages steps 2 and 3 in the same request; medium pages no one."""
    ref, incident_id = _acknowledged(api)
    res = api.client.post(
        f"/api/v1/incidents/{ref}/risk",
        json={"level": level, "rationale": "card numbers seen in the logs"},
        headers=api.headers("admin"),
    )
    assert res.status_code == 201, res.text
    expected = ["ana", "bruno", "carla"] if level == "high" else ["ana"]
    assert [user for user, _ in pages(api.factory, incident_id)] == expected


def test_web_risk_form_high_escalates_levels_at_once(api: Api) -> None:
    """The incident page's risk form with level high pages steps 2 and 3 at once."""
    ref, incident_id = _acknowledged(api)
    api.login("admin")
    page = api.client.get(f"/incidents/{ref}")
    res = api.client.post(
        f"/incidents/{ref}/triage/risk",
        data={"csrf": api.csrf(page.text), "level": "high", "rationale": "possible data leak"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    assert pages(api.factory, incident_id)[1:] == [
        ("bruno", "level 2, risk posture high"),
        ("carla", "level 3, risk posture high"),
    ]


def test_incident_page_shows_the_next_level_and_the_escalation_in_portuguese(api: Api) -> None:
    """Acknowledged: the escalation card says which level pages next and when; once the levels
    fired (high posture), the timeline and the paged list say so in the reader's language."""
    ref, _ = _acknowledged(api)
    api.login("admin")
    waiting = api.client.get(f"/incidents/{ref}?lang=pt-BR").text
    assert "nível 2, sem resolução após 30 min" in waiting
    api.client.post(
        f"/api/v1/incidents/{ref}/risk",
        json={"level": "high", "rationale": "possible data leak"},
        headers=api.headers("admin"),
    )
    fired = api.client.get(f"/incidents/{ref}?lang=pt-BR").text
    assert "Postura de risco alta: escalado imediatamente para o nível 3 (acionou carla)" in fired
    assert "nível 2, imediato (postura de risco alta)" in fired
    english = api.client.get(f"/incidents/{ref}?lang=en").text
    assert "High risk posture: escalated at once to level 2 (paged bruno)" in english
