"""The postmortem and corrective-action gauges, read from the database at scrape time like the
open incidents and late status updates: ``plantao_postmortems_overdue``,
``plantao_postmortems_due`` (required, not published, not yet due), ``plantao_actions_overdue``
and ``plantao_actions_open{must_fix="true|false"}``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import session_scope
from plantao.postmortems import due_counts


class DueCollector(Collector):
    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with session_scope(self.factory) as session:
                found = due_counts.counts(session, clock.now())
        except Exception:  # a scrape must not fail because the database is away
            return
        for name, text, value in (
            (
                "plantao_postmortems_overdue",
                "Postmortems past their due time and not published",
                found.postmortems_overdue,
            ),
            (
                "plantao_postmortems_due",
                "Required postmortems not published and not yet due",
                found.postmortems_due,
            ),
            (
                "plantao_actions_overdue",
                "Open corrective actions past their due date",
                found.actions_overdue,
            ),
        ):
            family = GaugeMetricFamily(name, text)
            family.add_metric([], value)
            yield family
        open_actions = GaugeMetricFamily(
            "plantao_actions_open",
            "Open corrective actions, by whether they must be fixed before release",
            labels=["must_fix"],
        )
        open_actions.add_metric(["true"], found.actions_open_must_fix)
        open_actions.add_metric(["false"], found.actions_open_other)
        yield open_actions


_collector: DueCollector | None = None


def register_due_collector(factory: sessionmaker[Session]) -> None:
    """Register once per process; the newest app's database wins (as for open incidents)."""
    global _collector
    if _collector is None:
        _collector = DueCollector(factory)
        REGISTRY.register(_collector)
    else:
        _collector.factory = factory
