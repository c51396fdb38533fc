"""The incident page's red banner when nobody was paged (en and pt-BR)."""

from __future__ import annotations

from datetime import datetime

from plantao.config import Settings
from plantao.engine.handlers import registry
from plantao.engine.reactions import ReactionStep
from plantao.engine.runner import EngineLoop
from tests.api.conftest import Api
from tests.api.test_incident_page import page_html, page_section, visible_text
from tests.factories.config import GENERIC_KEY, apply_config

NO_POLICY = """
version: 1
users: [{handle: ana, name: Ana}]
services:
  - {slug: checkout, name: Checkout, team: sre}
"""


def _fire(api: Api) -> str:
    ref = api.open_incident(
        f"/api/v1/intake/{GENERIC_KEY}/generic",
        {
            "title": "Down on checkout",
            "dedup_key": "Down",
            "severity": "critical",
            "labels": {"service": "checkout", "alertname": "Down"},
        },
    )
    loop = EngineLoop(api.factory, registry(Settings(env="test")), steps=[ReactionStep()])
    for _ in range(20):
        if loop.run_once() == 0:
            break
    return ref


def test_banner_says_nobody_was_paged_and_why(api: Api, frozen: datetime) -> None:
    """An incident on a service with no policy after fallback shows a red alert banner naming
    the service and its team, in English and in pt-BR."""
    apply_config(api.factory, NO_POLICY)
    ref = _fire(api)
    api.login("viewer")
    raw = page_section(page_html(api, ref), "inc-oncall")
    assert 'class="banner error inc-unpaged" role="alert"' in raw
    panel = visible_text(raw)
    assert "Nobody was paged for this incident" in panel
    assert (
        "Nobody was paged: service 'checkout' has no escalation policy "
        "and neither has team 'sre' nor the installation"
    ) in panel
    portuguese = visible_text(page_section(page_html(api, ref, "?lang=pt-BR"), "inc-oncall"))
    assert "Ninguém foi acionado para este incidente" in portuguese


def test_no_banner_when_someone_was_paged(api: Api, frozen: datetime) -> None:
    """A service covered by the installation's default policy pages, and shows no banner."""
    apply_config(
        api.factory,
        NO_POLICY
        + "escalation_policies: [{slug: all, name: All, steps: [{targets: [{user: ana}]}]}]\n"
        + "defaults: {escalation_policy: all}\n",
    )
    ref = _fire(api)
    api.login("viewer")
    raw = page_section(page_html(api, ref), "inc-oncall")
    assert "inc-unpaged" not in raw
    assert "Policy all ·" in visible_text(raw) and "(ana) · step 1 of 1" in visible_text(raw)
