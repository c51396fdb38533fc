"""The operator pages through the real app: what each shows, who sees forms, who may post,
that errors keep what was typed, and that each change lands in the audit log via session."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping

from httpx import Response
from sqlalchemy import select, update

from plantao.db import session_scope
from plantao.intake import inbox
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from plantao.people.models import AuditEntry, User
from tests.api.conftest import Api
from tests.factories.config import AM_KEY, STANDARD, apply_config
from tests.factories.notify import give_contacts, open_incidents, page
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.people import PASSWORD, make_user, token_for

AM = f"/api/v1/intake/{AM_KEY}/alertmanager"


def audit(api: Api, action: str) -> list[AuditEntry]:
    with api.factory() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def post(api: Api, path: str, data: Mapping[str, object], page_path: str) -> Response:
    """Post a form with the CSRF token of ``page_path`` (as the browser would)."""
    token = api.csrf(api.client.get(page_path).text)
    res: Response = api.client.post(path, data={**data, "csrf": token}, follow_redirects=False)
    return res


def forms_posting_to(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<form method="post" action="({re.escape(prefix)}[^"]*)"', html)


def test_audit_page_filters_in_the_url_and_exports(api: Api) -> None:
    """Admins see the log filtered as the URL says, the typed filter is kept in the form, a
    bad time keeps it too (422), and the CSV export link downloads the same entries."""
    created = api.client.post(
        "/api/v1/tokens",
        json={"name": "ci-deploy", "scopes": ["read"]},
        headers=api.headers("admin"),
    )
    assert created.status_code == 201
    api.login("admin")
    res = api.client.get("/audit?action=token.cr&actor=admin-u")
    assert res.status_code == 200
    assert "token.create" in res.text and "ci-deploy" in res.text
    assert 'value="token.cr"' in res.text and "user.create" not in res.text
    assert '<time datetime="' in res.text and "testclient" in res.text
    assert "/audit/export?" in res.text and "format=csv" in res.text
    bad = api.client.get("/audit?since=yesterday&actor=admin-u")
    assert bad.status_code == 422
    assert 'value="yesterday"' in bad.text and 'value="admin-u"' in bad.text
    assert "since: not a date" in bad.text
    export = api.client.get("/audit/export?format=csv&action=token.create&actor=admin-u")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [(r["action"], r["actor"], r["via"]) for r in rows] == [
        ("token.create", "admin-u", "token")
    ]


def test_audit_page_is_for_admins_only(api: Api) -> None:
    """A responder is refused the page and the export; a visitor is sent to log in."""
    assert api.client.get("/audit", follow_redirects=False).status_code == 303
    api.login("responder")
    assert api.client.get("/audit").status_code == 403
    assert api.client.get("/audit/export").status_code == 403


def test_services_page_hides_intake_keys_from_non_admins(api: Api) -> None:
    """Everyone sees services, teams and the last alert per integration; only admins get the
    intake URL, masked, with the key inside a reveal and a copy button."""
    assert api.send(AM, am_webhook([am_alert("DiskFull")])).status_code == 202
    api.login("viewer")
    seen = api.client.get("/services")
    assert seen.status_code == 200
    assert "Checkout" in seen.text and "SRE" in seen.text and "Alertmanager" not in seen.text
    row = seen.text.split('id="integration-am"')[1].split("</tr>")[0]
    assert "<time datetime=" in row  # the alert just received
    assert AM_KEY not in seen.text and "/api/v1/intake/" not in seen.text
    api.login("admin")
    shown = api.client.get("/services").text
    assert "http://plantao.test/api/v1/intake/••••••••/alertmanager" in shown
    assert f'value="http://plantao.test/api/v1/intake/{AM_KEY}/alertmanager"' in shown
    assert 'data-copy="url-am"' in shown and "/static/copy.js" in shown
    assert 'id="key-pd"' in shown and "http://plantao.test/v2/enqueue" in shown


def test_heartbeats_page_lists_monitors_and_their_state(api: Api) -> None:
    """A configured monitor is listed with its service and state; the beat URL is admin-only."""
    apply_config(
        api.factory,
        STANDARD
        + "heartbeats:\n  - {slug: nightly-backup, name: Nightly backup, service: orders,"
        + " interval: 1d, grace: 1h, key: hb-key-0123456789abcdef}\n",
    )
    api.login("viewer")
    res = api.client.get("/heartbeats")
    assert res.status_code == 200
    assert "Nightly backup" in res.text and "Orders" in res.text and "Waiting" in res.text
    assert "1 d" in res.text and "hb-key-0123456789abcdef" not in res.text
    api.login("admin")
    admin = api.client.get("/heartbeats").text
    assert 'value="http://plantao.test/api/v1/heartbeats/hb-key-0123456789abcdef"' in admin


def test_inbox_page_retries_failed_entries_for_admins(api: Api) -> None:
    """The failed entry shows its error; retrying it is audited via session; a viewer is 403."""
    res = api.client.post(AM, json=am_webhook([am_alert("Poison")]))
    entry = res.json()["intake_id"]
    with session_scope(api.factory) as session:
        inbox.mark_failed(session, entry, "KeyError: 'poison'")
    api.login("viewer")
    assert api.client.get("/inbox").status_code == 403
    api.login("admin")
    shown = api.client.get("/inbox").text
    assert "KeyError: &#39;poison&#39;" in shown and f"/inbox/{entry}/retry" in shown
    done = post(api, f"/inbox/{entry}/retry", {}, "/inbox")
    assert done.status_code == 303 and done.headers["location"] == "/inbox?requeued=1"
    assert "1 entries put back in line" in api.client.get("/inbox?requeued=1").text
    [entry_audit] = audit(api, "inbox.retry")
    assert (entry_audit.actor, entry_audit.via) == ("admin-u", "session")
    api.login("viewer")
    refused = post(api, "/inbox/retry", {}, "/services")
    assert refused.status_code == 403


def _deliveries(api: Api) -> tuple[int, int, str]:
    """Two pages to ana for two incidents; the first made dead. Returns both ids and a ref."""
    give_contacts(api.factory, [ContactMethodSpec("work-email", "email", "ana@example.com")])
    page(api.factory, open_incidents(api.factory, 2))
    with session_scope(api.factory) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
        dead, other = rows[0].id, rows[1].id
        ref = rows[1].incident_ref
        session.execute(
            update(Delivery)
            .where(Delivery.id == dead)
            .values(state="dead", attempts=5, last_error="550 mailbox unavailable")
        )
    return dead, other, ref


def test_deliveries_page_lists_all_with_filters_and_retries(api: Api) -> None:
    """Managers see every delivery (not only dead ones) with reason and error, filter by state,
    channel, person and incident, and retry a dead one (audited via session)."""
    dead, other, ref = _deliveries(api)
    api.login("admin")
    everything = api.client.get("/deliveries").text
    assert f'id="delivery-{dead}"' in everything and f'id="delivery-{other}"' in everything
    assert "550 mailbox unavailable" in everything and "on call" in everything
    only_dead = api.client.get("/deliveries?state=dead").text
    assert f'id="delivery-{dead}"' in only_dead and f'id="delivery-{other}"' not in only_dead
    by_incident = api.client.get(f"/deliveries?incident={ref}&user=ana&channel=email").text
    assert f'id="delivery-{other}"' in by_incident and f'id="delivery-{dead}"' not in by_incident
    unknown = api.client.get("/deliveries?user=nobody")
    assert unknown.status_code == 404 and 'value="nobody"' in unknown.text
    assert forms_posting_to(everything, "/deliveries/") == [f"/deliveries/{dead}/retry"]
    done = post(api, f"/deliveries/{dead}/retry", {"filters": "state=dead"}, "/deliveries")
    assert done.status_code == 303
    assert done.headers["location"] == f"/deliveries?retried={dead}&state=dead"
    [entry] = audit(api, "delivery.retry")
    assert (entry.actor, entry.via, entry.object_id) == ("admin-u", "session", str(dead))
    again = post(api, f"/deliveries/{dead}/retry", {}, "/deliveries")
    assert again.status_code == 409 and "only dead or retrying" in again.text


def test_deliveries_need_a_manager(api: Api) -> None:
    """A responder can neither see nor retry deliveries (page or API); a manager of the
    incident's team sees and retries them, a manager of another team neither sees nor retries."""
    dead, other, _ = _deliveries(api)
    api.login("responder")
    assert api.client.get("/deliveries").status_code == 403
    refused = post(api, f"/deliveries/{dead}/retry", {}, "/services")
    assert refused.status_code == 403
    retry_api = f"/api/v1/deliveries/{dead}/retry"
    assert api.client.post(retry_api, headers=api.headers("responder")).status_code == 403
    with session_scope(api.factory) as session:
        apply_config(api.factory, STANDARD.replace("teams: [", "teams: [{slug: web, name: Web}, "))
        mara = make_user(session, "mara", team_roles={"sre": "manager"})
        make_user(session, "otto", team_roles={"web": "manager"})
        mara_token = token_for(session, mara, ["respond"])
    api.client.post("/login", data={"handle": "otto", "password": PASSWORD})
    otto_sees = api.client.get("/deliveries")
    assert otto_sees.status_code == 200  # another team's deliveries (and addresses) stay hidden
    assert f'id="delivery-{dead}"' not in otto_sees.text
    assert f'id="delivery-{other}"' not in otto_sees.text
    assert post(api, f"/deliveries/{dead}/retry", {}, "/deliveries").status_code == 403
    api.client.post("/login", data={"handle": "mara", "password": PASSWORD})
    assert f'id="delivery-{dead}"' in api.client.get("/deliveries").text
    assert post(api, f"/deliveries/{dead}/retry", {}, "/deliveries").status_code == 303
    with_token = {"Authorization": f"Bearer {mara_token}"}
    with session_scope(api.factory) as session:
        session.execute(update(Delivery).where(Delivery.id == other).values(state="dead"))
    assert (
        api.client.post(f"/api/v1/deliveries/{other}/retry", headers=with_token).status_code == 200
    )


def test_tokens_created_in_the_browser_are_shown_once_and_work(api: Api) -> None:
    """A viewer creates a token (shown once, never cached), uses it, sees only its prefix in
    the list and revokes it; a form error keeps the name typed; admin scope is not offered."""
    api.login("viewer")
    listing = api.client.get("/tokens").text
    assert 'value="admin"' not in listing and 'value="read"' in listing
    missing = post(api, "/tokens", {"name": "my laptop", "expiry": "30"}, "/tokens")
    assert missing.status_code == 422 and 'value="my laptop"' in missing.text
    made = post(api, "/tokens", {"name": "my laptop", "scopes": "read", "expiry": "30"}, "/tokens")
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    clear = re.search(r'id="new-token"[^>]*value="(plt_[^"]+)"', made.text).group(1)  # type: ignore[union-attr]
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"})
    assert me.status_code == 200 and me.json()["handle"] == "viewer-u"
    again = api.client.get("/tokens").text
    assert clear not in again and clear[:10] in again and "my laptop" in again
    [created] = [e for e in audit(api, "token.create") if e.actor == "viewer-u"]
    assert created.via == "session" and created.after is not None
    assert created.after["name"] == "my laptop"
    token_id = created.object_id
    gone = post(api, f"/tokens/{token_id}/revoke", {}, "/tokens")
    assert gone.status_code == 303
    assert (
        api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}).status_code
        == 401
    )
    sneaky = post(
        api,
        "/tokens",
        {"name": "x", "scopes": "read", "expiry": "30", "owner": "admin-u"},
        "/tokens",
    )
    assert sneaky.status_code == 403


def test_admin_sees_everyones_tokens_and_revokes_them(api: Api) -> None:
    """An admin's token page lists every token with its owner and a revoke button for each."""
    api.login("admin")
    shown = api.client.get("/tokens").text
    assert "Everyone&#39;s tokens" in shown and "viewer-u-t" in shown
    assert 'value="admin"' in shown
    with api.factory() as session:
        viewer_token = session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.action == "token.create")
        ).first()
    assert viewer_token is not None
    assert post(api, f"/tokens/{viewer_token}/revoke", {}, "/tokens").status_code == 303


def test_people_directory_is_read_only_for_viewers(api: Api) -> None:
    """A viewer reads people and teams with their roles but gets no forms; posting is 403."""
    api.login("viewer")
    users = api.client.get("/users").text
    assert "ana" in users and "SRE" in users and "viewer-u" in users
    assert forms_posting_to(users, "/users") == []
    teams = api.client.get("/teams").text
    assert "ana" in teams and "responder" in teams and forms_posting_to(teams, "/teams") == []
    for path, data in (
        ("/users", {"handle": "eve", "name": "Eve"}),
        ("/users/ana/role", {"global_role": "admin"}),
        ("/users/ana/disable", {}),
        ("/teams/sre/members", {"user": "viewer-u", "role": "admin"}),
        ("/settings/password-login", {"enabled": "off"}),
    ):
        assert post(api, path, data, "/users").status_code == 403, path
    assert api.client.get("/settings").status_code == 403


def test_admin_manages_people_and_errors_keep_the_form(api: Api) -> None:
    """An admin creates a person (a bad handle keeps every field typed), sets their global role,
    disables and enables them, and changes team roles; each change is audited via session."""
    api.login("admin")
    bad = post(
        api,
        "/users",
        {
            "handle": "Bad Handle",
            "name": "Bea Souza",
            "email": "bea@example.com",
            "time_zone": "UTC",
        },
        "/users",
    )
    assert bad.status_code == 422
    assert 'value="Bad Handle"' in bad.text and 'value="Bea Souza"' in bad.text
    assert 'value="bea@example.com"' in bad.text and "handle: use" in bad.text
    made = post(
        api,
        "/users",
        {"handle": "bea", "name": "Bea", "global_role": "viewer", "generate_password": "on"},
        "/users",
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    password = re.search(r'id="new-password"[^>]*value="([^"]+)"', made.text).group(1)  # type: ignore[union-attr]
    assert post(api, "/users/bea/role", {"global_role": "responder"}, "/users").status_code == 303
    assert post(api, "/users/bea/disable", {}, "/users").status_code == 303
    assert post(api, "/users/bea/enable", {}, "/users").status_code == 303
    assert (
        post(api, "/teams/sre/members", {"user": "bea", "role": "manager"}, "/teams").status_code
        == 303
    )
    assert post(api, "/teams/sre/members", {"user": "ana", "role": ""}, "/teams").status_code == 303
    unknown = post(api, "/teams/sre/members", {"user": "nobody", "role": "viewer"}, "/teams")
    assert unknown.status_code == 404 and "nobody" in unknown.text
    self_disable = post(api, "/users/admin-u/disable", {}, "/users")
    assert self_disable.status_code == 422
    actions = [
        (e.action, e.object_id, e.via)
        for e in audit(api, "user.create")
        + audit(api, "user.update")
        + audit(api, "user.disable")
        + audit(api, "user.enable")
        + audit(api, "team.member")
        if e.actor == "admin-u"
    ]
    assert ("user.create", "bea", "session") in actions
    assert ("user.update", "bea", "session") in actions
    assert ("user.disable", "bea", "session") in actions and (
        "user.enable",
        "bea",
        "session",
    ) in actions
    members = [e for e in audit(api, "team.member") if e.actor == "admin-u"]
    assert [m.after for m in members] == [
        {"user": "bea", "role": "manager"},
        {"user": "ana", "role": None},
    ]
    with api.factory() as session:
        bea = session.scalars(select(User).where(User.handle == "bea")).one()
        assert bea.global_role == "responder" and bea.disabled_at is None
    login = api.client.post(
        "/login", data={"handle": "bea", "password": password}, follow_redirects=False
    )
    assert login.status_code == 303


def test_settings_turn_password_login_off_and_on(api: Api) -> None:
    """An admin turns password login off (audited) and the login page stops offering it."""
    api.login("admin")
    page_html = api.client.get("/settings").text
    assert "Password login" in page_html and "Single sign-on is not configured" in page_html
    assert post(api, "/settings/password-login", {"enabled": "off"}, "/settings").status_code == 303
    [entry] = audit(api, "settings.password_login")
    assert (entry.actor, entry.via, entry.before, entry.after) == (
        "admin-u",
        "session",
        {"enabled": True},
        {"enabled": False},
    )
    assert post(api, "/settings/password-login", {"enabled": "on"}, "/settings").status_code == 303
    assert len(audit(api, "settings.password_login")) == 2


def test_pages_speak_portuguese(api: Api) -> None:
    """The operator pages come in pt-BR when asked."""
    api.login("admin")
    assert "Pessoas" in api.client.get("/users?lang=pt-BR").text
    for path, text in (
        ("/teams", "Papel no time"),
        ("/tokens", "Seus tokens"),
        ("/services", "Integrações"),
        ("/audit", "Registro de auditoria"),
        ("/deliveries", "Entregas"),
        ("/inbox", "Caixa de entrada"),
        ("/settings", "Login com senha"),
        ("/heartbeats", "Nenhum monitor"),
    ):
        assert text in api.client.get(path).text, path
