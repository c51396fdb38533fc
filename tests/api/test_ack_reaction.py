"""An acknowledgement through the API stops paging within milliseconds, engine running."""

from __future__ import annotations

import time

from sqlalchemy import select

from plantao.configfile import service as config_service
from plantao.configfile.schema import load_text
from plantao.db import session_scope
from plantao.engine.runner import make_loop, start_in_thread
from plantao.incidents import service as incident_service
from plantao.notify.models import Delivery
from plantao.oncall.models import Escalation
from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY
from tests.factories.notify import wait_until

CONFIG = """
users:
  - {handle: ana, name: Ana, contact_methods: [{name: mail, type: email,
     address: ana@example.com}], notification_rules: [{contact: mail, after: 2m}]}
  - {handle: bruno, name: Bruno}
services:
  - {slug: checkout, name: Checkout, team: sre, escalation_policy: main}
escalation_policies:
  - slug: main
    name: Main
    steps:
      - {targets: [{user: ana}]}
      - {delay: 5m, targets: [{user: bruno}]}
"""


def _state(api: Api, ref: str) -> tuple[str | None, list[str]]:
    with session_scope(api.factory) as s:
        incident_id = incident_service.get(s, ref).id
        esc = s.get(Escalation, incident_id)
        deliveries = s.scalars(
            select(Delivery.state).where(Delivery.incident_id == incident_id).order_by(Delivery.id)
        )
        return (esc.state if esc else None), list(deliveries)


def test_ack_stops_escalation_and_cancels_pages_well_under_a_second(api: Api) -> None:
    """With the engine thread running (serve's on SQLite, a LISTENing loop on PostgreSQL),
    the escalation is stopped and the delayed page cancelled < 1 s after the ack's answer."""
    with session_scope(api.factory) as session:
        config_service.apply(session, load_text(CONFIG))
    loop = make_loop(api.factory)
    thread, stop = start_in_thread(loop)
    try:
        ref = api.open_incident(
            f"/api/v1/intake/{GENERIC_KEY}/generic",
            {"title": "Down", "severity": "critical", "labels": {"service": "checkout"}},
        )
        wait_until("step 1 paged", lambda: _state(api, ref) == ("active", ["pending"]), 10)
        wait_until("the engine idle", lambda: loop.stats.last_cycle_seconds < 0.05, 10)
        time.sleep(0.6)  # the engine is asleep: only a wake-up makes it react at once
        started = time.perf_counter()
        res = api.client.post(
            f"/api/v1/incidents/{ref}/acknowledge", headers=api.headers("responder")
        )
        assert res.status_code == 200, res.text
        answered = time.perf_counter()
        while _state(api, ref) != ("stopped", ["cancelled"]):
            assert time.perf_counter() - answered < 5, _state(api, ref)
            time.sleep(0.001)
        stopped = time.perf_counter()
    finally:
        stop.set()
        thread.join(15)
    delay = stopped - answered
    database = api.factory.kw["bind"].dialect.name
    print(
        f"ack -> escalation stopped: {delay * 1000:.1f} ms after the answer "
        f"({(stopped - started) * 1000:.1f} ms after the request) on {database}"
    )
    assert delay < 1.0
