"""Concurrent deliveries of the same alert create exactly one alert and one incident."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from plantao.alerts.models import Alert
from plantao.incidents.models import Incident
from tests.factories.config import apply_standard
from tests.factories.payloads import am_alert, am_webhook
from tests.factories.threads import run_together
from tests.integration.helpers import count, send_am


def test_eight_threads_same_alert(factory: sessionmaker[Session]) -> None:
    """8 threads posting the same new alert at once yield one alert row and one incident."""
    apply_standard(factory)
    body = am_webhook([am_alert("Concurrent", instance="x")], group_key="gx")
    together = run_together(lambda _: send_am(factory, body), 8)
    errors, results = together.errors, together.results
    assert errors == []
    assert len(results) == 8
    assert count(factory, Alert) == 1
    assert count(factory, Incident) == 1
    assert sum(r.created for r in results) == 1
    assert sum(r.refreshed for r in results) == 7


def test_eight_threads_same_group_different_alerts(factory: sessionmaker[Session]) -> None:
    """8 threads posting different alerts of one group at once open a single incident."""
    apply_standard(factory)

    def worker(n: int) -> None:
        send_am(factory, am_webhook([am_alert("Group", instance=str(n))], group_key="gg"))

    errors = run_together(worker, 8).errors
    assert errors == []
    assert count(factory, Alert) == 8
    assert count(factory, Incident) == 1
