"""The web UI: password login, list, incident page, actions with CSRF protection."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook


def test_pages_need_login(api: Api) -> None:
    """Anonymous visitors are sent to the login page."""
    res = api.client.get("/", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_bad_password_login(api: Api) -> None:
    """A wrong password shows an error and opens no session."""
    res = api.client.post("/login", data={"handle": "viewer-u", "password": "not it at all"})
    assert res.status_code == 401 and "Wrong user name or password" in res.text
    assert api.client.get("/", follow_redirects=False).status_code == 303


def test_responder_acknowledges_from_the_page(api: Api) -> None:
    """A responder sees the incident, acknowledges it, and the timeline shows who did it."""
    ref = api.open_incident(
        f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert(severity="critical")])
    )
    api.login("responder")
    listing = api.client.get("/")
    assert ref in listing.text and "SEV1" in listing.text
    page = api.client.get(f"/incidents/{ref}")
    assert "Acknowledge" in page.text
    forged = api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": "forged"})
    assert forged.status_code == 400
    res = api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": api.csrf(page.text)})
    assert res.status_code == 200
    assert 'id="incident-status">Acknowledged' in res.text
    assert "responder-u" in res.text


def test_viewer_sees_no_actions(api: Api) -> None:
    """A viewer's page has no action forms and posting one is refused."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("viewer")
    page = api.client.get(f"/incidents/{ref}")
    assert "not act on it" in page.text and 'class="action' not in page.text
    res = api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": api.csrf(page.text)})
    assert res.status_code == 403


def test_portuguese_texts(api: Api) -> None:
    """?lang=pt-BR switches the interface to Portuguese."""
    api.login("viewer")
    assert "Incidentes" in api.client.get("/?lang=pt-BR").text


def test_language_chosen_before_login_is_kept(api: Api) -> None:
    """A language picked on the login page survives logging in."""
    assert "Entrar" in api.client.get("/login?lang=pt-BR").text
    api.login("viewer")
    assert "Incidentes" in api.client.get("/").text
