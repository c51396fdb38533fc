"""Signed action links over HTTP (GET confirms, POST acts once) and the admin outbox API."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import select

from plantao import clock
from plantao.config import get_settings
from plantao.incidents.models import Incident
from plantao.notify import link_tokens
from plantao.notify.models import Delivery
from plantao.notify.specs import ContactMethodSpec
from tests.api.conftest import Api
from tests.factories.notify import WEBHOOK_SECRET, give_contacts, open_incidents, page


def _paged(api: Api) -> tuple[int, dict[str, str]]:
    give_contacts(
        api.factory, [ContactMethodSpec("hook", "webhook", "http://127.0.0.1:9/h", WEBHOOK_SECRET)]
    )
    [incident] = open_incidents(api.factory, 1)
    page(api.factory, [incident])
    with api.factory() as s:
        row = s.scalars(select(Delivery)).one()
        return incident, {lk["action"]: urlparse(lk["url"]).path for lk in row.links}


def _status(api: Api, incident_id: int) -> str:
    with api.factory() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        return incident.status


def test_get_confirms_without_acting_and_post_acknowledges_as_the_paged_user(
    api: Api, frozen: datetime
) -> None:
    """GET shows who/what/which action and changes nothing; POST acknowledges as 'ana', once."""
    incident, paths = _paged(api)
    shown = api.client.get(paths["ack"])
    assert shown.status_code == 200
    assert "Acknowledge" in shown.text and "ana" in shown.text and "INC-" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert _status(api, incident) == "triggered"
    done = api.client.post(paths["ack"], data={"action": "ack"})
    assert done.status_code == 200, done.text
    assert _status(api, incident) == "acknowledged"
    detail = api.client.get(f"/api/v1/incidents/{incident}", headers=api.headers("viewer")).json()
    ack = [e for e in detail["timeline"] if e["kind"] == "incident.acknowledged"]
    assert [e["actor"] for e in ack] == ["ana"]
    again = api.client.post(paths["ack"], data={"action": "ack"})
    assert again.status_code == 410 and "already used" in again.text
    assert api.client.get(paths["ack"]).status_code == 410


def test_tampered_expired_and_wrong_action_links_are_refused_and_change_nothing(
    api: Api, frozen: datetime
) -> None:
    """Edited signature or payload → 400; wrong action → 400; past expiry → 410; nothing changes."""
    incident, paths = _paged(api)
    token = paths["resolve"].removeprefix("/a/")
    payload, _, mac = token.partition(".")
    tampered = f"/a/{payload}.{mac[:-2]}{'AA' if not mac.endswith('AA') else 'BB'}"
    for path in (tampered, "/a/not-a-token", f"/a/{payload[:-1]}x.{mac}"):
        assert api.client.get(path).status_code == 400
        assert api.client.post(path, data={"action": "resolve"}).status_code == 400
    wrong = api.client.post(paths["resolve"], data={"action": "ack"})
    assert wrong.status_code == 400 and "another action" in wrong.text
    assert api.client.post(paths["resolve"], data={"action": "bogus"}).status_code == 400
    forged = link_tokens.sign_action(
        "another-secret-entirely",
        incident_id=str(incident),
        action="resolve",
        subject="1",
        expires_at=clock.now() + timedelta(hours=1),
    )
    assert api.client.post(f"/a/{forged}", data={"action": "resolve"}).status_code == 400
    clock.advance(timedelta(seconds=get_settings().action_link_ttl_seconds + 1))
    expired = api.client.post(paths["resolve"], data={"action": "resolve"})
    assert expired.status_code == 410 and "expired" in expired.text
    assert _status(api, incident) == "triggered"


def test_resolve_link_resolves_and_pt_br_page(api: Api, frozen: datetime) -> None:
    """A resolve link resolves; the confirmation and result pages speak the paged user's
    language and link back to the incident page in that language."""
    from plantao.db import session_scope
    from plantao.people.models import User

    with session_scope(api.factory) as s:
        user = s.scalars(select(User).where(User.handle == "ana")).one()
        user.language = "pt-BR"
    incident, paths = _paged(api)
    confirm = api.client.get(paths["resolve"]).text
    assert "Resolver" in confirm and "Disparado" in confirm
    done = api.client.post(paths["resolve"], data={"action": "resolve"})
    assert done.status_code == 200
    ref = "INC-20261122-1"  # the first incident of the frozen day
    assert f"{ref} resolvido por ana." in done.text
    assert f'href="/incidents/{ref}?lang=pt-BR">Abrir {ref} no Plantão' in done.text
    assert _status(api, incident) == "resolved"


def test_dead_deliveries_are_listed_and_retried_by_admins_only(api: Api, frozen: datetime) -> None:
    """GET ?state=dead lists the DLQ (admin); POST retry makes it pending again; others get 403."""
    _paged(api)
    with api.factory.begin() as s:
        row = s.scalars(select(Delivery)).one()
        row.state, row.attempts, row.last_error = "dead", 8, "gave up"
        delivery_id = row.id
    assert api.client.get("/api/v1/deliveries", headers=api.headers("responder")).status_code == 403
    listed = api.client.get("/api/v1/deliveries?state=dead", headers=api.headers("admin"))
    assert listed.status_code == 200
    body = listed.json()
    assert [d["id"] for d in body["items"]] == [delivery_id] and body["depth"]["dead"] == 1
    assert "secret" not in listed.text
    retried = api.client.post(
        f"/api/v1/deliveries/{delivery_id}/retry", headers=api.headers("admin")
    )
    assert retried.status_code == 200 and retried.json()["state"] == "pending"
    again = api.client.post(f"/api/v1/deliveries/{delivery_id}/retry", headers=api.headers("admin"))
    assert again.status_code == 409
    bad = api.client.get("/api/v1/deliveries?state=nope", headers=api.headers("admin"))
    assert bad.status_code == 422
    metrics = api.client.get("/metrics").text
    assert 'plantao_notify_outbox{state="pending"} 1.0' in metrics


def test_escalate_link_asks_the_oncall_service_and_is_spent(api: Api, frozen: datetime) -> None:
    """An escalate link calls oncall.escalate_now as the paged user; without a policy it says so."""
    incident, paths = _paged(api)
    assert "Escalate" in api.client.get(paths["escalate"]).text
    done = api.client.post(paths["escalate"], data={"action": "escalate"})
    assert done.status_code == 200
    assert "no escalation policy" in done.text
    assert api.client.post(paths["escalate"], data={"action": "escalate"}).status_code == 410
    assert _status(api, incident) == "triggered"


def test_dead_deliveries_page_for_admins(api: Api, frozen: datetime) -> None:
    """Admins see undelivered notifications in the web UI and retry one; responders cannot."""
    import re

    _paged(api)
    with api.factory.begin() as s:
        row = s.scalars(select(Delivery)).one()
        row.state, row.attempts, row.last_error = "dead", 8, "HTTP 500 from receiver"
        delivery_id = row.id
    api.login("responder")
    assert api.client.get("/deliveries").status_code == 403
    api.login("admin")
    page_html = api.client.get("/deliveries").text
    assert "HTTP 500 from receiver" in page_html and "Retry" in page_html
    csrf = re.search(r'name="csrf" value="([^"]+)"', page_html)
    assert csrf is not None
    done = api.client.post(f"/deliveries/{delivery_id}/retry", data={"csrf": csrf.group(1)})
    assert done.status_code == 200
    assert f"Delivery {delivery_id} will be sent again now." in done.text
    with api.factory() as s:
        assert s.get(Delivery, delivery_id).state == "pending"  # type: ignore[union-attr]
