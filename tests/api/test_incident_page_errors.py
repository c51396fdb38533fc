"""Errors on the incident page's forms are pages: a stale tab's 409 names who got there first,
a validation error keeps what was typed, and an expired session keeps the action for after
the next login and asks before sending it (once)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from plantao import clock
from plantao.auth import service as auth_service
from plantao.db import session_scope
from plantao.incidents.service import NOTE_MAX
from plantao.people.models import User
from tests.api.conftest import Api
from tests.api.test_incident_page import page_html, visible_text
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD


def _end_sessions(api: Api, handle: str = "responder-u") -> None:
    """Every browser session of ``handle`` ends (as logout everywhere or expiry would)."""
    with session_scope(api.factory) as session:
        user = session.scalars(select(User).where(User.handle == handle)).one()
        auth_service.end_user_sessions(session, user.id)


def test_stale_tab_acknowledge_is_a_409_page_naming_who_and_when(
    api: Api, frozen: datetime
) -> None:
    """A second acknowledge from a stale tab renders the page (409) with "Already acknowledged
    by … at …" and the incident as it is now."""
    ref = api.open_incident(
        f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert(severity="critical")])
    )
    api.login("responder")
    stale = api.client.get(f"/incidents/{ref}").text
    clock.advance(timedelta(minutes=1))
    api.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=api.headers("admin"))
    res = api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": api.csrf(stale)})
    assert res.status_code == 409
    words = visible_text(res.text)
    assert "Already acknowledged by admin-u at" in words
    assert 'id="incident-status">Acknowledged' in res.text
    banner = res.text.split('id="inc-banner"')[1].split("</div>")[0]
    stamp = re.search(r'<time datetime="([^"]+)" data-time="absolute">', banner)
    assert stamp is not None
    assert datetime.fromisoformat(stamp.group(1)) == frozen + timedelta(minutes=1)


def test_note_over_the_limit_is_a_422_page_keeping_the_text(api: Api) -> None:
    """The note field shows its limit; a longer note is refused with 422 and comes back as typed."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    page = page_html(api, ref)
    assert f'maxlength="{NOTE_MAX}"' in page and "Up to 20,000 characters." in page
    typed = "line one\nline <two> & three " + "x" * NOTE_MAX
    res = api.client.post(
        f"/incidents/{ref}/notes",
        data={"csrf": api.csrf(page), "text": typed, "kind": "inference"},
    )
    assert res.status_code == 422
    assert html.escape(typed, quote=False) in res.text
    assert '<option value="inference" selected>' in res.text
    assert "longer than 20000 characters" in res.text
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert [e for e in detail["timeline"] if e["kind"] == "note"] == []


def test_expired_session_keeps_the_note_and_asks_before_sending_it_once(api: Api) -> None:
    """A note posted after the session ended goes to login and back; the page asks to send it,
    sends it once on confirmation, and a second confirmation sends nothing."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    page = page_html(api, ref)
    _end_sessions(api)
    note = "Rolled back the 14:02 deploy; errors dropping."
    res = api.client.post(
        f"/incidents/{ref}/notes",
        data={"csrf": api.csrf(page), "text": note, "kind": "action"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert res.headers["location"] == f"/login?next=/incidents/{ref}"
    login = api.client.post(
        "/login",
        data={"handle": "responder-u", "password": PASSWORD, "next": f"/incidents/{ref}"},
    )
    assert login.status_code == 200 and login.url.path == f"/incidents/{ref}"
    words = visible_text(login.text)
    assert "You were logged out before this was sent: add a note." in words
    assert note in words and "Send it now?" in words
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert not [e for e in detail["timeline"] if e["kind"] == "note"]
    form = re.search(
        r'<form method="post" action="([^"]+)" class="inline">(.*?)</form>', login.text, re.S
    )
    assert form is not None and form.group(1) == f"/incidents/{ref}/notes"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
    assert "csrf" in fields and fields["text"] == note and fields["kind"] == "action"
    sent = api.client.post(form.group(1), data=fields, follow_redirects=False)
    assert sent.status_code == 303
    again = api.client.post(form.group(1), data=fields)
    assert again.status_code == 409
    assert "That action was already sent or discarded" in again.text
    assert "You were logged out" not in again.text
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    notes = [(e["message"], e["actor"]) for e in detail["timeline"] if e["kind"] == "note"]
    assert notes == [(note, "responder-u")]


def test_expired_session_pending_action_can_be_discarded(api: Api) -> None:
    """Discarding the kept action sends nothing and the question is gone."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    page = page_html(api, ref)
    _end_sessions(api)
    api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": api.csrf(page)})
    back = api.client.post(
        "/login", data={"handle": "responder-u", "password": PASSWORD, "next": f"/incidents/{ref}"}
    )
    assert "You were logged out before this was sent: acknowledge." in visible_text(back.text)
    pending = re.search(r'name="pending" value="([^"]+)"', back.text)
    assert pending is not None
    done = api.client.post(
        f"/incidents/{ref}/pending/discard",
        data={"csrf": api.csrf(back.text), "pending": pending.group(1)},
    )
    assert done.status_code == 200 and "The action was discarded" in done.text
    assert "You were logged out" not in done.text
    detail = api.client.get(f"/api/v1/incidents/{ref}", headers=api.headers("viewer")).json()
    assert detail["status"] == "triggered"


def test_a_forged_post_after_expiry_is_not_kept(api: Api) -> None:
    """A post without this browser's CSRF token is not offered for re-sending after login."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    page_html(api, ref)
    _end_sessions(api)
    api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": "forged"})
    back = api.client.post(
        "/login", data={"handle": "responder-u", "password": PASSWORD, "next": f"/incidents/{ref}"}
    )
    assert back.status_code == 200 and "You were logged out" not in back.text


def test_expired_session_with_a_note_too_long_to_keep_shows_it_to_copy(api: Api) -> None:
    """A note too long for the cookie is not lost: the page says so and shows it (401) with a
    link to log in again and come back to the incident."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    page = page_html(api, ref)
    _end_sessions(api)
    note = "Timeline of what we tried:\n" + "tried a thing; " * 300
    res = api.client.post(
        f"/incidents/{ref}/notes", data={"csrf": api.csrf(page), "text": note, "kind": "fact"}
    )
    assert res.status_code == 401
    assert "too long to keep until you log in again" in visible_text(res.text)
    assert html.escape(note, quote=False) in res.text
    assert f'href="/login?next=/incidents/{ref}"' in res.text


def test_error_banners_are_in_the_readers_language(api: Api) -> None:
    """In Portuguese the stale tab reads "Já foi reconhecido por …" and a refused note says
    why in Portuguese, keeping the text."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    api.login("responder")
    stale = page_html(api, ref, "?lang=pt-BR")
    api.client.post(f"/api/v1/incidents/{ref}/acknowledge", headers=api.headers("admin"))
    res = api.client.post(f"/incidents/{ref}/acknowledge", data={"csrf": api.csrf(stale)})
    assert res.status_code == 409
    assert "Já foi reconhecido por admin-u às" in visible_text(res.text)
    empty = api.client.post(f"/incidents/{ref}/notes", data={"csrf": api.csrf(stale), "text": " "})
    assert empty.status_code == 422 and "A nota está vazia." in visible_text(empty.text)
