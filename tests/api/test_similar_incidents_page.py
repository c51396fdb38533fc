"""The incident page's "Similar past incidents" card: the family's past incidents linked with
their resolution, runbooks and postmortem, in English and Portuguese, nothing private leaked,
and "none" said plainly when nothing is alike."""

from __future__ import annotations

import html
from datetime import datetime

from plantao.db import session_scope
from plantao.incidents.models import Incident
from tests.api.conftest import Api
from tests.factories import similar_history
from tests.factories.similar_history import FAMILIES


def _page(api: Api, number: str, lang: str = "en") -> str:
    res = api.client.get(f"/incidents/{number}", params={"lang": lang})
    assert res.status_code == 200, res.text
    return html.unescape(res.text)


def test_card_lists_the_family_with_links(api: Api, frozen: datetime) -> None:
    """A viewer sees the disk family's incidents linked, how they ended, the confirmed runbook,
    the postmortem and why they are alike; the private incident is not there."""
    with session_scope(api.factory) as session:
        history = similar_history.build(session, frozen)
        number = similar_history.probe(session, 0, frozen).human_id
        past = [session.get(Incident, i) for i in history.resolved[0]]
        numbers = [p.human_id for p in past if p is not None]
    api.login("viewer")
    page = _page(api, number)
    card = page[page.index('id="inc-similar"') :]
    card = card[: card.index("</section>")]
    assert "Similar past incidents" in card
    for other in numbers:
        assert f'href="/incidents/{other}"' in card
    assert FAMILIES[0].fix in card
    assert f'href="/runbooks/{FAMILIES[0].runbook}"' in card
    assert "(confirmed)" in card
    assert 'href="/postmortems/' in card
    assert "same alert (nodefilesystemalmostoutofspace)" in card
    assert "Secret" not in page
    assert "<script" not in card and "style=" not in card


def test_card_in_portuguese(api: Api, frozen: datetime) -> None:
    """In pt-BR the card's title, resolution heading and reasons are Portuguese."""
    with session_scope(api.factory) as session:
        similar_history.build(session, frozen)
        number = similar_history.probe(session, 3, frozen).human_id
    api.login("viewer")
    page = _page(api, number, "pt-BR")
    assert "Incidentes parecidos no passado" in page
    assert "Como foi resolvido" in page
    assert "mesmo serviço" in page


def test_card_says_none_when_nothing_is_alike(api: Api, frozen: datetime) -> None:
    """With no history the card says so instead of listing anything."""
    with session_scope(api.factory) as session:
        number = similar_history.probe(session, 1, frozen).human_id
    api.login("viewer")
    page = _page(api, number)
    assert "No resolved incident of the last year looks like this one." in page
