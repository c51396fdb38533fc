"""An acknowledgement through the API stops paging within milliseconds, engine running."""

from __future__ import annotations

import time

from sqlalchemy import select

from plantao.db import session_scope
from plantao.engine.runner import make_loop, start_in_thread
from plantao.incidents import service as incident_service
from plantao.incidents.models import Incident
from plantao.notify.models import Delivery
from plantao.oncall.models import Escalation
from tests.api.conftest import Api
from tests.factories.config import GENERIC_KEY, apply_config
from tests.factories.notify import wait_until
from tests.factories.oncall import ana_mailed_after, responders

CONFIG = ana_mailed_after(
    "2m",
    responders("main")
    + """escalation_policies:
  - slug: main
    name: Main
    steps:
      - {targets: [{user: ana}]}
      - {delay: 5m, targets: [{user: bruno}]}
""",
)


def _opened(api: Api) -> str | None:
    with session_scope(api.factory) as s:
        return s.scalar(select(Incident.human_id).order_by(Incident.id.desc()).limit(1))


def _state(api: Api, ref: str) -> tuple[str | None, list[str]]:
    with session_scope(api.factory) as s:
        incident_id = incident_service.get(s, ref).id
        esc = s.get(Escalation, incident_id)
        deliveries = s.scalars(
            select(Delivery.state).where(Delivery.incident_id == incident_id).order_by(Delivery.id)
        )
        return (esc.state if esc else None), list(deliveries)


# The engine's poll is set far above any plausible delay, so only the wake-up sent at the ack's
# commit can make it react before POLL: the test checks that mechanism, not a stopwatch (the
# delay itself is printed, and measured by benchmarks/paging.py).
POLL = 20.0


def test_ack_wakes_the_engine_to_stop_escalation_and_cancel_pages(api: Api) -> None:
    """With the engine thread asleep (serve's on SQLite, a LISTENing loop on PostgreSQL), the
    ack's commit wakes it: the escalation stops and the delayed page is cancelled long before
    the next poll would have run."""
    apply_config(api.factory, CONFIG)
    loop = make_loop(api.factory)
    loop.idle = POLL
    thread, stop = start_in_thread(loop)
    try:
        # The running engine applies the inbox itself (a drain here would race it).
        sent = api.client.post(
            f"/api/v1/intake/{GENERIC_KEY}/generic",
            json={"title": "Down", "severity": "critical", "labels": {"service": "checkout"}},
        )
        assert sent.status_code == 202, sent.text
        wait_until("the incident opened", lambda: _opened(api) is not None, 10)
        ref = _opened(api)
        assert ref is not None
        wait_until("step 1 paged", lambda: _state(api, ref) == ("active", ["pending"]), 10)
        wait_until("the engine idle", lambda: loop.stats.last_cycle_seconds < 0.05, 10)
        time.sleep(0.6)  # the engine is asleep: only a wake-up makes it react before POLL
        started = time.perf_counter()
        res = api.client.post(
            f"/api/v1/incidents/{ref}/acknowledge", headers=api.headers("responder")
        )
        assert res.status_code == 200, res.text
        answered = time.perf_counter()
        while _state(api, ref) != ("stopped", ["cancelled"]):
            assert time.perf_counter() - answered < POLL / 2, _state(api, ref)
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
    assert delay < POLL / 2
