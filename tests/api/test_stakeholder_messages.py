"""Messages to stakeholders (outbox rows with no user) show on the deliveries API and page and
leave the incident page whole."""

from __future__ import annotations

from plantao.config import Settings
from plantao.db import run_transaction
from plantao.engine import comms_fanout
from tests.api.conftest import Api
from tests.factories.config import AM_KEY
from tests.factories.payloads import am_alert, am_webhook


def test_a_message_to_a_list_shows_on_the_deliveries_api_and_pages(api: Api) -> None:
    """A status update fanned out to an e-mail list: /api/v1/deliveries lists it (user_id
    null), /deliveries names the stakeholder, the incident's Stakeholders card shows the
    message queued without the address."""
    ref = api.open_incident(f"/api/v1/intake/{AM_KEY}/alertmanager", am_webhook([am_alert()]))
    admin = api.headers("admin")
    body = {"scope": "global", "name": "execs", "kind": "email", "address": "x@example.com"}
    assert api.client.post("/api/v1/stakeholders", json=body, headers=admin).status_code == 201
    update = {"status": "investigating", "impact": "Checkout slow for some users"}
    res = api.client.post(f"/api/v1/incidents/{ref}/status-updates", json=update, headers=admin)
    assert res.status_code == 201, res.text
    settings = Settings(env="test", base_url="http://plantao.test")
    assert run_transaction(api.factory, lambda s: comms_fanout.fan_out(s, settings)) == 1
    listed = api.client.get("/api/v1/deliveries", headers=admin).json()["items"]
    [message] = [d for d in listed if d["kind"] == "message"]
    assert message["user_id"] is None and message["channel"] == "email"
    api.login("admin")
    page = api.client.get("/deliveries")
    assert page.status_code == 200 and message["subject"] in page.text
    assert "stakeholder execs" in page.text  # who it went to, not a "?"
    incident = api.client.get(f"/incidents/{ref}")
    assert incident.status_code == 200
    assert "Status update sent to 1 stakeholder(s): execs" in incident.text
    card = incident.text.split('id="inc-stakeholders"', 1)[1].split("</section>", 1)[0]
    assert "<strong>execs</strong>" in card and 'data-state="queued"' in card
    assert "x@example.com" not in card  # addresses stay on /stakeholders
