"""Concurrent deliveries of the same alert create exactly one alert and one incident."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.incidents.models import Incident
from tests.factories.config import apply_standard
from tests.factories.payloads import am_alert, am_webhook
from tests.integration.helpers import count, send_am


def test_eight_threads_same_alert(factory: sessionmaker[Session]) -> None:
    """8 threads posting the same new alert at once yield one alert row and one incident."""
    apply_standard(factory)
    body = am_webhook([am_alert("Concurrent", instance="x")], group_key="gx")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []
    results = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(send_am(factory, body))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == 8
    assert count(factory, Alert) == 1
    assert count(factory, Incident) == 1
    assert sum(r.created for r in results) == 1
    assert sum(r.refreshed for r in results) == 7


def test_eight_threads_same_group_different_alerts(factory: sessionmaker[Session]) -> None:
    """8 threads posting different alerts of one group at once open a single incident."""
    apply_standard(factory)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            send_am(factory, am_webhook([am_alert("Group", instance=str(n))], group_key="gg"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert count(factory, Alert) == 8
    assert count(factory, Incident) == 1
