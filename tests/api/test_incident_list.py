"""The incident list page: urgency order, filters kept in the URL, who's on it, overdue
markers, keyset pages, the live-update fragment and bulk acknowledge/resolve with RBAC by team."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from plantao import clock
from plantao.catalog import service as catalog_service
from plantao.db import session_scope
from plantao.incidents import access as incident_access
from plantao.incidents import service as incident_service
from plantao.incidents.lifecycle import Action
from plantao.incidents.models import Incident
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, STANDARD, apply_config
from tests.factories.oncall import ONCALL, oncall_loop, settle
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"

# The standard config plus a second team (db) owning a billing service with its own route.
TWO_TEAMS = (
    STANDARD.replace(
        "teams: [{slug: sre, name: SRE, members: [ana]}]",
        "teams: [{slug: sre, name: SRE, members: [ana]}, {slug: db, name: Database}]",
    )
    .replace(
        "  - {slug: default, name: Default, team: sre}\n",
        "  - {slug: default, name: Default, team: sre}\n"
        "  - {slug: billing, name: Billing, team: db}\n",
    )
    .replace(
        "severity_matrix:",
        "  - name: billing by alertname\n"
        "    matchers: ['service=\"billing\"']\n"
        "    service: billing\n"
        "    group_by: [alertname]\n"
        "    group_window: 1h\n"
        "severity_matrix:",
    )
)


def fire(api: Api, name: str, severity: str = "warning", service: str = "") -> str:
    """One Alertmanager alert (its own group) through intake; the human id of its incident."""
    labels = {"severity": severity, **({"service": service} if service else {})}
    body = am_webhook([am_alert(name, summary=f"{name} summary", **labels)], f'{{}}:{{a="{name}"}}')
    return api.open_incident(AM, body)


def log_in(api: Api, handle: str) -> None:
    res = api.client.post(
        "/login", data={"handle": handle, "password": PASSWORD, "next": "/"}, follow_redirects=False
    )
    assert res.status_code == 303, res.text


def act(api: Api, ref: str, action: Action, actor: str = "ana") -> None:
    with session_scope(api.factory) as session:
        incident = incident_service.get(session, ref, for_update=True)
        incident_service.act(session, incident, action, actor=actor)


def row(html: str, ref: str) -> str:
    """The table row of one incident."""
    found = re.search(rf'<tr class="incident [^"]*" data-ref="{ref}">.*?</tr>', html, re.DOTALL)
    assert found, f"{ref} is not listed"
    return found.group(0)


def order(html: str) -> list[str]:
    """The incident refs of the list, top to bottom."""
    return re.findall(r'<tr class="incident [^"]*" data-ref="([^"]+)"', html)


def test_unacknowledged_sev1_comes_first_then_severity_status_and_age(api: Api) -> None:
    """Unacknowledged Sev1 first, then acknowledged Sev1, then Sev2, Sev3 (the older first)."""
    sev3_old = fire(api, "DiskSlow")
    sev1_acked = fire(api, "CheckoutDown", "critical")
    sev2 = fire(api, "LatencyHigh", "error")
    sev3_new = fire(api, "QueueDeep")
    sev1 = fire(api, "PaymentsDown", "critical")
    act(api, sev1_acked, Action.ACKNOWLEDGE)
    api.login("viewer")
    listed = order(api.client.get("/").text)
    assert listed == [sev1, sev1_acked, sev2, sev3_old, sev3_new]


def test_who_acknowledged_is_shown_and_resolved_incidents_leave_the_default_list(
    api: Api,
) -> None:
    """The "who's on it" column names who acknowledged; resolved incidents show only with
    status=resolved or status= (all)."""
    acked = fire(api, "Acked")
    gone = fire(api, "Gone")
    act(api, acked, Action.ACKNOWLEDGE, actor="responder-u")
    act(api, gone, Action.RESOLVE)
    api.login("viewer")
    page = api.client.get("/").text
    assert "Acknowledged by <strong>responder-u</strong>" in row(page, acked)
    assert gone not in order(page)
    assert order(api.client.get("/?status=resolved").text) == [gone]
    assert set(order(api.client.get("/?status=").text)) == {acked, gone}


def test_filters_by_service_team_status_and_mine_live_in_the_url(api: Api) -> None:
    """Each filter narrows the list and is kept in the URL: the form shows it selected, the
    live-update URL and the bulk form carry it."""
    apply_config(api.factory, TWO_TEAMS)
    checkout = fire(api, "CheckoutErrors", service="checkout")
    billing = fire(api, "InvoicesStuck", service="billing")
    other = fire(api, "NodeDown")
    act(api, other, Action.ACKNOWLEDGE)
    with session_scope(api.factory) as session:
        make_user(session, "dbfolk", team_roles={"db": "responder"})
    log_in(api, "dbfolk")

    by_service = api.client.get("/?service=checkout")
    assert order(by_service.text) == [checkout]
    assert '<option value="checkout" selected>' in by_service.text
    assert 'data-rows-url="/?status=open&amp;service=checkout&amp;partial=1"' in by_service.text
    assert '<input type="hidden" name="service" value="checkout">' in by_service.text

    assert order(api.client.get("/?team=db").text) == [billing]
    assert set(order(api.client.get("/?team=sre").text)) == {checkout, other}
    assert order(api.client.get("/?status=acknowledged").text) == [other]
    assert set(order(api.client.get("/?status=triggered").text)) == {checkout, billing}

    mine = api.client.get("/?mine=1")
    assert order(mine.text) == [billing]  # dbfolk's team
    assert 'name="mine" value="1" aria-describedby="f-mine-hint" checked' in mine.text
    with session_scope(api.factory) as session:
        incident = incident_service.get(session, checkout)
        user = make_user(session, "dbfolk")
        incident_access.add_responder(session, incident, user, actor="admin-u")
    assert set(order(api.client.get("/?mine=1").text)) == {checkout, billing}


def test_mine_includes_incidents_i_was_paged_for(api: Api, frozen: datetime) -> None:
    """An escalation that paged ana puts the incident in her "mine" list and names her in the
    "who's on it" column with the next step's time."""
    apply_config(api.factory, ONCALL)
    ref = fire(api, "Down", "critical", service="checkout")
    settle(oncall_loop(api.factory))
    with session_scope(api.factory) as session:
        make_user(session, "ana")  # the person on call gets a password
    log_in(api, "ana")
    page = api.client.get("/?mine=1").text
    assert order(page) == [ref]
    cell = row(page, ref)
    assert "Paged: <strong>ana</strong>" in cell
    assert "next step" in cell and 'datetime="2026-11-22T12:05:00+00:00"' in cell


def test_ack_overdue_marker_follows_the_severity_target(api: Api, frozen: datetime) -> None:
    """A Sev1 waiting longer than its 5 min acknowledge target is marked overdue; a Sev3 (1 h)
    is not, and shows when its acknowledgement is due."""
    sev1 = fire(api, "Burning", "critical")
    sev3 = fire(api, "Smouldering")
    clock.freeze(frozen + timedelta(minutes=6))
    api.login("viewer")
    page = api.client.get("/").text
    rows = {ref: row(page, ref) for ref in (sev1, sev3)}
    assert "ack-overdue" in rows[sev1] and "Ack overdue" in rows[sev1]
    assert "Ack overdue" not in rows[sev3]
    assert 'ack due <time datetime="2026-11-22T13:00:00+00:00"' in rows[sev3]


def test_pages_continue_with_a_keyset_cursor_without_repeats(api: Api) -> None:
    """55 open incidents: 50 on the first page, 5 on the next one, none twice; a forged
    cursor is a 422 page."""
    with session_scope(api.factory) as session:
        service_id = catalog_service.service_by_slug(session, "default").id
    specs = [
        incident_service.NewIncident(
            title=f"bulk {n}",
            severity_name="sev2",
            service_id=service_id,
            route_id=None,
            group_key=f"k{n}",
            group_window_seconds=3600,
            auto_resolve=True,
            detected_at=clock.now(),
        )
        for n in range(55)
    ]
    with session_scope(api.factory) as session:
        incident_service.open_incidents(session, specs, actor="test")
    api.login("viewer")
    first = api.client.get("/")
    refs = order(first.text)
    assert len(refs) == 50
    link = re.search(r'href="/\?([^"]+)" rel="next"', first.text)
    assert link, "no link to the next page"
    second = api.client.get("/?" + link.group(1).replace("&amp;", "&"))
    more = order(second.text)
    assert len(more) == 5 and not set(more) & set(refs)
    bad = api.client.get("/?cursor=bm90LWEtY3Vyc29y")
    assert bad.status_code == 422 and "cursor" in bad.text


def test_partial_answers_only_the_list_region(api: Api) -> None:
    """GET /?partial=1 (what the live update fetches) is the list without the layout, not
    cached, with the same filters applied."""
    ref = fire(api, "Partial", service="checkout")
    fire(api, "Elsewhere")
    api.login("viewer")
    res = api.client.get("/?partial=1&service=checkout")
    assert res.status_code == 200 and res.headers["cache-control"] == "no-store"
    assert "<html" not in res.text and "<table" in res.text
    assert order(res.text) == [ref]


def test_live_hooks_and_alert_toggle_are_on_the_page(api: Api) -> None:
    """The page loads live.js and incidents.js, names the stream, and offers the opt-in
    Sev1/Sev2 sound/notification toggle (in both languages)."""
    api.login("viewer")
    page = api.client.get("/").text
    assert '<script src="/static/live.js" defer></script>' in page
    assert '<script src="/static/incidents.js" defer></script>' in page
    assert 'data-live-url="/live/incidents"' in page
    assert 'id="live-alert-toggle"' in page and "Sound and notification" in page
    assert "Som e notificação" in api.client.get("/?lang=pt-BR").text


def test_bulk_acknowledge_acts_where_allowed_and_says_why_not_elsewhere(api: Api) -> None:
    """A responder of team db acknowledges two db incidents from the list; the SRE one is
    refused (not their team) and one already acknowledged is left as it was; all summarised."""
    apply_config(api.factory, TWO_TEAMS)
    first = fire(api, "InvoicesStuck", service="billing")
    second = fire(api, "LedgerLag", service="billing")
    done_before = fire(api, "ReportsLate", service="billing")
    theirs = fire(api, "CheckoutErrors", service="checkout")
    act(api, done_before, Action.ACKNOWLEDGE)
    with session_scope(api.factory) as session:
        make_user(session, "dbfolk", team_roles={"db": "responder"})
    log_in(api, "dbfolk")
    page = api.client.get("/?status=open&team=")
    assert "Acknowledge selected" in page.text
    res = api.client.post(
        "/incidents/bulk",
        data={
            "csrf": api.csrf(page.text),
            "action": "acknowledge",
            "ref": [first, second, done_before, theirs],
            "status": "open",
            "service": "",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == "/?status=open"
    summary = api.client.get(res.headers["location"]).text
    assert "2 acknowledged, 1 refused: you are not a responder of team SRE" in summary
    assert f"({theirs})" in summary
    assert f"1 not changed: already acknowledged ({done_before})" in summary
    with session_scope(api.factory) as session:
        statuses = {
            i.human_id: i.status.value
            for i in session.scalars(
                select(Incident).where(Incident.human_id.in_([first, second, theirs]))
            )
        }
    assert statuses == {first: "acknowledged", second: "acknowledged", theirs: "triggered"}
    assert "bulk-summary" not in api.client.get("/").text, "the summary is shown once"


def test_bulk_resolve_needs_the_form_token_and_summarises_in_portuguese(api: Api) -> None:
    """A forged token changes nothing (400 page); with the page's token the incidents are
    resolved and the summary is in the chosen language."""
    one = fire(api, "One")
    two = fire(api, "Two")
    api.login("responder")
    forged = api.client.post(
        "/incidents/bulk", data={"csrf": "forged", "action": "resolve", "ref": [one, two]}
    )
    assert forged.status_code == 400
    page = api.client.get("/?lang=pt-BR")
    res = api.client.post(
        "/incidents/bulk",
        data={"csrf": api.csrf(page.text), "action": "resolve", "ref": [one, two]},
    )
    assert res.status_code == 200 and "2 resolvido(s)" in res.text
    assert order(res.text) == []


def test_bulk_with_nothing_ticked_says_so(api: Api) -> None:
    """Pressing a bulk button with no incident ticked changes nothing and asks to tick one."""
    ref = fire(api, "Untouched")
    api.login("responder")
    page = api.client.get("/")
    res = api.client.post(
        "/incidents/bulk", data={"csrf": api.csrf(page.text), "action": "resolve"}
    )
    assert res.status_code == 200 and "Select at least one incident first." in res.text
    assert order(res.text) == [ref]
