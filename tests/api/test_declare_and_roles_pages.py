"""The declare form and the incident page's Roles card, through the app (no browser): posting,
redirects, errors that keep what was typed, both languages."""

from __future__ import annotations

import re

from plantao.db import session_scope
from tests.api.conftest import Api
from tests.factories.people import make_user


def _form(api: Api, **fields: str) -> dict[str, str]:
    page = api.client.get("/incidents/new")
    assert page.status_code == 200, page.text[:300]
    return {
        "csrf": api.csrf(page.text),
        "title": "Customers cannot pay",
        "service": "checkout",
        "severity": "sev2",
        "category": "customer_report",
        "description": "Three tickets in ten minutes",
    } | fields


def test_declare_form_opens_the_incident_and_redirects_to_it(api: Api) -> None:
    """A responder declares from /incidents/new and lands on the new incident's page, which
    shows who declared it, why, and the Roles card."""
    api.login("responder")
    listing = api.client.get("/")
    assert 'href="/incidents/new"' in listing.text
    res = api.client.post("/incidents/new", data=_form(api), follow_redirects=False)
    assert res.status_code == 303, res.text[:500]
    location = res.headers["location"]
    assert re.fullmatch(r"/incidents/INC-\d{8}-1", location)
    page = api.client.get(location)
    assert page.status_code == 200
    assert "Declared by responder-u" in page.text and "A customer report" in page.text
    assert "Three tickets in ten minutes" in page.text
    assert 'id="inc-roles"' in page.text and 'id="cmd-assign-form"' in page.text


def test_declare_form_keeps_what_was_typed_on_error(api: Api) -> None:
    """An unknown service answers the form again (404) with the typed title and the reason."""
    api.login("responder")
    res = api.client.post(
        "/incidents/new",
        data=_form(api, service="nope", title="Typed title stays"),
        follow_redirects=False,
    )
    assert res.status_code == 404
    assert 'value="Typed title stays"' in res.text
    assert "service &#39;nope&#39; does not exist" in res.text
    assert "Three tickets in ten minutes" in res.text


def test_a_viewer_may_not_declare(api: Api) -> None:
    """A viewer gets 403 on the page and the post, and the list offers no declare button."""
    api.login("viewer")
    assert 'href="/incidents/new"' not in api.client.get("/").text
    assert api.client.get("/incidents/new").status_code == 403
    csrf = api.csrf(api.client.get("/").text)
    body = {"csrf": csrf, "title": "x", "service": "checkout", "severity": "sev3"}
    assert api.client.post("/incidents/new", data=body).status_code == 403


def test_roles_card_assigns_hands_over_and_refuses_a_second_hat(api: Api) -> None:
    """The card's forms assign and hand over (hand-off on the timeline), and a second hat
    re-renders the page with 409, the reason and the typed hand-off."""
    with session_scope(api.factory) as session:
        make_user(session, "bruno", password=None)
    api.login("responder")
    ref = api.client.post("/incidents/new", data=_form(api), follow_redirects=False).headers[
        "location"
    ]
    csrf = api.csrf(api.client.get(ref).text)
    res = api.client.post(
        f"{ref}/roles",
        data={"csrf": csrf, "role": "incident_commander", "holder": "ana"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == ref
    res = api.client.post(
        f"{ref}/roles",
        data={
            "csrf": csrf,
            "role": "incident_commander",
            "holder": "bruno",
            "handoff_context": "rollback started",
            "handoff_status": "error rate falling",
            "handoff_next_steps": "watch 15 min",
        },
    )
    assert res.status_code == 200
    assert "IC hand-off: ana → bruno" in res.text
    refused = api.client.post(
        f"{ref}/roles",
        data={"csrf": csrf, "role": "scribe", "holder": "bruno", "handoff_context": "kept"},
    )
    assert refused.status_code == 409
    assert "bruno already wears the Incident Commander hat on this incident" in refused.text
    assert 'name="handoff_context"' in refused.text and ">kept</textarea>" in refused.text
    removed = api.client.post(
        f"{ref}/roles/remove", data={"csrf": csrf, "role": "incident_commander", "holder": "bruno"}
    )
    assert removed.status_code == 200
    assert "bruno is no longer Incident Commander" in removed.text


def test_roles_card_in_portuguese(api: Api) -> None:
    """The card and the declare form speak pt-BR to a pt-BR reader."""
    api.login("responder")
    form = api.client.get("/incidents/new?lang=pt-BR")
    assert "Declarar um incidente" in form.text and "Relato de cliente" in form.text
    ref = api.client.post("/incidents/new", data=_form(api), follow_redirects=False).headers[
        "location"
    ]
    page = api.client.get(ref)
    assert "Papéis" in page.text and "Uma pessoa, um chapéu" in page.text
    csrf = api.csrf(page.text)
    stale = api.client.post(
        f"{ref}/roles/remove", data={"csrf": csrf, "role": "scribe", "holder": "ana"}
    )
    assert stale.status_code == 409
    assert "Essa pessoa não tem mais o papel de Scribe" in stale.text
    done = api.client.post(f"{ref}/roles", data={"csrf": csrf, "role": "scribe", "holder": "ana"})
    assert "ana agora é Scribe" in done.text
    assert "Declarado à mão: Relato de cliente: Three tickets in ten minutes" in done.text
