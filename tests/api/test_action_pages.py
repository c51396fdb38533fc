"""Corrective actions in the browser: the postmortem's actions panel (add form, suggestions with
one-click add, status forms), the ``/actions`` list with its filters, an action's page with its
status and edit forms; refused input re-renders keeping what was typed; the owner may change
the status but a viewer may not; a private incident's actions are not found."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from plantao import clock
from plantao.db import session_scope
from plantao.incidents import service as incident_service
from plantao.postmortems.models import CorrectiveAction, Postmortem
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user


def _postmortem(api: Api, name: str = "CheckoutLatency") -> tuple[int, str]:
    body = am_webhook(
        [am_alert(name, service="checkout")], group_key=f'{{}}:{{alertname="{name}"}}'
    )
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", body)
    with session_scope(api.factory) as session:
        incident = incident_service.get(session, ref)
        now = clock.now()
        pm = Postmortem(
            incident_id=incident.id, created_by="admin-u", created_at=now, updated_at=now
        )
        session.add(pm)
        session.flush()
        return pm.id, ref


def _count(api: Api) -> int:
    with session_scope(api.factory) as session:
        return int(session.scalar(select(func.count()).select_from(CorrectiveAction)) or 0)


def _add_form(csrf: str, **over: str) -> dict[str, str]:
    return {
        "csrf": csrf,
        "title": "Alarm on p99 latency",
        "owner": "ana",
        "due_date": "2026-12-20",
        "kind": "prevention",
        "must_fix": "1",
        "ticket_url": "https://jira.example.com/browse/OPS-9",
        "measure": "the alarm fires in the drill",
    } | over


def test_a_responder_adds_an_action_from_the_panel_and_sees_it(api: Api, frozen: datetime) -> None:
    """The panel's form adds AC-01 (303 back to the postmortem); the panel lists it with its
    must-fix badge, due day relative and absolute, kind and ticket link, on its own page and on
    the postmortem's."""
    pm, _ = _postmortem(api)
    api.login("responder")
    page = api.client.get(f"/postmortems/{pm}/actions")
    assert page.status_code == 200 and "No corrective actions yet." in page.text
    res = api.client.post(
        f"/postmortems/{pm}/actions", data=_add_form(api.csrf(page.text)), follow_redirects=False
    )
    assert res.status_code == 303 and res.headers["location"].startswith(f"/postmortems/{pm}")
    panel = api.client.get(f"/postmortems/{pm}/actions").text
    assert "AC-01" in panel and "Alarm on p99 latency" in panel and "must fix" in panel
    assert "2026-12-20" in panel and "in 28 days" in panel and "Prevention" in panel
    assert 'href="https://jira.example.com/browse/OPS-9"' in panel
    on_postmortem = api.client.get(f"/postmortems/{pm}")
    assert on_postmortem.status_code == 200 and 'id="action-AC-01"' in on_postmortem.text


def test_a_refused_action_keeps_what_was_typed(api: Api) -> None:
    """A javascript: ticket link and an unknown owner are refused (422) with the reason in
    the page, the title typed kept, nothing saved; in Portuguese too."""
    pm, _ = _postmortem(api)
    api.login("responder")
    page = api.client.get(f"/postmortems/{pm}/actions?lang=pt-BR")
    assert "Ações corretivas" in page.text
    data = _add_form(api.csrf(page.text), ticket_url="javascript:alert(1)")
    res = api.client.post(f"/postmortems/{pm}/actions", data=data)
    assert res.status_code == 422 and "ticket_url" in res.text
    assert 'value="Alarm on p99 latency"' in res.text and "A ação não foi salva" in res.text
    assert 'href="javascript:' not in res.text
    res = api.client.post(f"/postmortems/{pm}/actions", data=_add_form(data["csrf"], owner="zé"))
    assert res.status_code == 422 and "zé" in res.text and _count(api) == 0


def test_a_suggestion_is_added_with_one_click(api: Api) -> None:
    """The panel suggests reviewing the alert that fired; its button adds a follow-up owned by
    the person who clicked, and the suggestion is no longer offered."""
    pm, _ = _postmortem(api)
    api.login("responder")
    page = api.client.get(f"/postmortems/{pm}/actions").text
    assert "Review the alert CheckoutLatency" in page
    form = page.split('name="origin" value="')[1]
    key = form.split('"')[0]
    title = form.split('name="title" value="')[1].split('"')[0]
    res = api.client.post(
        f"/postmortems/{pm}/actions",
        data={"csrf": api.csrf(page), "origin": key, "title": title, "kind": "follow_up"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    after = api.client.get(f"/postmortems/{pm}/actions").text
    assert f'value="{key}"' not in after and "Follow-up" in after and "responder-u" in after


def test_wont_do_needs_a_reason_edits_save_and_the_list_filters(api: Api, frozen: datetime) -> None:
    """On the action's page won't do without a reason is refused keeping the choice; the
    edit form saves; the list filters overdue and must-fix."""
    pm, _ = _postmortem(api)
    with session_scope(api.factory) as session:
        make_user(session, "olga", global_role="viewer")
    api.login("responder")
    page = api.client.get(f"/postmortems/{pm}/actions").text
    api.client.post(
        f"/postmortems/{pm}/actions",
        data=_add_form(api.csrf(page), owner="olga", due_date="2026-11-23"),
    )
    api.client.post(
        f"/postmortems/{pm}/actions", data=_add_form(api.csrf(page), must_fix="", title="Later")
    )
    action = api.client.get("/actions/AC-01")
    assert action.status_code == 200 and "Alarm on p99 latency" in action.text
    res = api.client.post(
        "/actions/AC-01",
        data={"csrf": api.csrf(action.text), "form": "status", "status": "wont_do"},
    )
    assert res.status_code == 422 and "reason" in res.text
    assert '<option value="wont_do" selected>' in res.text
    res = api.client.post(
        "/actions/AC-01",
        data={
            "csrf": api.csrf(action.text),
            "form": "edit",
            "title": "Alarm on p99",
            "owner": "olga",
            "due_date": "2026-11-23",
            "kind": "hardening",
            "must_fix": "1",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert "Alarm on p99" in api.client.get("/actions/AC-01").text
    clock.advance(timedelta(days=2))
    api.login("responder")  # two idle days end a browser session
    listed = api.client.get("/actions?overdue=1").text
    assert "AC-01" in listed and "AC-02" not in listed and 'class="status overdue"' in listed
    assert "AC-02" not in api.client.get("/actions?must_fix=1").text


def test_the_owner_may_change_the_status_and_another_viewer_may_not(api: Api) -> None:
    """Olga, a viewer who owns AC-01, moves it to in progress from /actions?mine=1 (back to
    the list); a viewer who does not own it gets 403 and nothing changes."""
    pm, _ = _postmortem(api)
    with session_scope(api.factory) as session:
        make_user(session, "olga", global_role="viewer")
    api.login("responder")
    page = api.client.get(f"/postmortems/{pm}/actions").text
    api.client.post(f"/postmortems/{pm}/actions", data=_add_form(api.csrf(page), owner="olga"))
    api.client.post(f"/postmortems/{pm}/actions", data=_add_form(api.csrf(page), title="Later"))
    api.client.cookies.clear()
    api.login("viewer")
    viewer_page = api.client.get("/actions/AC-01").text
    assert "Change status" not in viewer_page
    res = api.client.post("/actions/AC-01", data={"csrf": api.csrf(viewer_page), "status": "done"})
    assert res.status_code == 403
    api.client.cookies.clear()
    logged = api.client.post(
        "/login", data={"handle": "olga", "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert logged.status_code == 303
    mine = api.client.get("/actions?mine=1")
    assert mine.status_code == 200 and "AC-01" in mine.text and "AC-02" not in mine.text
    res = api.client.post(
        "/actions/AC-01",
        data={
            "csrf": api.csrf(mine.text),
            "form": "status",
            "status": "in_progress",
            "back": "list",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/actions"
    assert "In progress" in api.client.get("/actions/AC-01").text


def test_a_private_incidents_action_page_is_not_found(api: Api) -> None:
    """A viewer who may not see the incident gets the not-found page for its action and no row
    on /actions; the admin sees it."""
    pm, ref = _postmortem(api, "SecretLeak")
    api.login("admin")
    page = api.client.get(f"/postmortems/{pm}/actions").text
    api.client.post(f"/postmortems/{pm}/actions", data=_add_form(api.csrf(page)))
    with session_scope(api.factory) as session:
        incident_service.get(session, ref).private = True
    assert "AC-01" in api.client.get("/actions").text
    api.client.post("/logout", data={"csrf": api.csrf(page)})
    api.login("viewer")
    assert api.client.get("/actions/AC-01").status_code == 404
    assert "AC-01" not in api.client.get("/actions").text
    assert api.client.get(f"/postmortems/{pm}/actions").status_code == 404
