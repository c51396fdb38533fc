"""The KPIs on ``/metrics``: rolling 7 and 30 days, as gauges Grafana can chart.

Why computed at scrape time but cached for :data:`CACHE_SECONDS`: the figures are read from the
database by the same section code as the KPI page (a 30-day window is thousands of incidents
and several grouped queries), and Prometheus scrapes every 15-30 s — from each replica, and
often from two Prometheus servers. Recomputing per scrape would put the page's cost on the
database several times a minute for figures that move over hours; one computation per minute
per process bounds that cost whatever the scrape rate, and a minute is far below what a
7-day median can visibly change. Concurrent scrapes wait for the one computation in progress
instead of starting their own.

Why the failures are quiet: ``/metrics`` is how an outage is seen, so it must keep answering
when the database does not. When the database cannot be reached, the KPI families are left
out of that scrape (the process's own metrics still answer), the failure is logged once per
outage (not once per scrape), and it is remembered for the same minute so scrapes during an
outage do not each wait for a connection timeout. A section that fails for another reason (a
bug) leaves out only its own families and is logged once.

The cache uses ``clock.now()`` like every other time in Plantão, so tests move it with the
frozen clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from plantao import clock
from plantao.db import session_scope
from plantao.kpis.metric_figures import FAMILIES, READERS, Sample
from plantao.kpis.scope import KpiScope

log = structlog.get_logger("plantao.kpis.metrics")

CACHE_SECONDS = 60
#: The rolling windows, by the value of the ``window`` label.
WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
)


class DatabaseUnavailable(Exception):
    """The database could not be reached: skip every KPI family this time."""


@dataclass(frozen=True)
class _Computed:
    at: datetime
    families: tuple[GaugeMetricFamily, ...]


def _read(factory: sessionmaker[Session], name: str, now: datetime) -> list[tuple[str, Sample]]:
    """One section's samples for every window, in one transaction; ``(window, sample)``."""
    reader = READERS[name]
    found: list[tuple[str, Sample]] = []
    try:
        with session_scope(factory) as session:
            for window, span in WINDOWS:
                scope = KpiScope(start=now - span, end=now)
                found += [(window, sample) for sample in reader(session, scope)]
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseUnavailable(str(exc)) from exc
    return found


def _families(samples: list[tuple[str, Sample]]) -> tuple[GaugeMetricFamily, ...]:
    """Every family, even one without samples: its HELP and TYPE lines say the name exists
    (a dashboard built on a quiet installation still finds it), and no sample means no data."""
    by_name: dict[str, GaugeMetricFamily] = {}
    for family in FAMILIES:
        by_name[family.name] = GaugeMetricFamily(
            family.name, family.help, labels=["window", *family.labels]
        )
    for window, sample in samples:
        by_name[sample.family].add_metric([window, *sample.labels], sample.value)
    return tuple(by_name.values())


class KpiCollector(Collector):
    """Yields the KPI gauges, computed at most once per :data:`CACHE_SECONDS`."""

    def __init__(
        self, factory: sessionmaker[Session], cache_seconds: float = CACHE_SECONDS
    ) -> None:
        self.factory = factory
        self.cache = timedelta(seconds=cache_seconds)
        self._lock = threading.Lock()
        self._computed: _Computed | None = None
        self._outage_logged = False
        self._failed_sections: set[str] = set()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.current()

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Nothing at registration: describing would otherwise compute (and query) at once."""
        return iter(())

    def current(self) -> tuple[GaugeMetricFamily, ...]:
        with self._lock:
            now = clock.now()
            cached = self._computed
            # a clock set back (a test unfreezing, an NTP step) expires the cache too
            if cached is not None and timedelta(0) <= now - cached.at < self.cache:
                return cached.families
            families = self._compute(now)
            self._computed = _Computed(at=now, families=families)
            return families

    def _compute(self, now: datetime) -> tuple[GaugeMetricFamily, ...]:
        samples: list[tuple[str, Sample]] = []
        for name in READERS:
            try:
                samples += _read(self.factory, name, now)
            except DatabaseUnavailable as exc:
                if not self._outage_logged:
                    log.warning("kpi_metrics.database_unavailable", error=exc.args[0][:500])
                    self._outage_logged = True
                return ()
            except Exception as exc:  # one broken section must not hide the others
                if name not in self._failed_sections:
                    log.exception("kpi_metrics.section_failed", section=name, error=str(exc))
                    self._failed_sections.add(name)
                continue
            self._failed_sections.discard(name)
        if self._outage_logged:
            log.info("kpi_metrics.database_back")
            self._outage_logged = False
        return _families(samples)


_collector: KpiCollector | None = None


def register_kpi_collector(factory: sessionmaker[Session]) -> KpiCollector:
    """Register once per process (the newest app's database wins, as for the other
    database-reading collectors); returns the collector."""
    global _collector
    if _collector is None:
        _collector = KpiCollector(factory)
        REGISTRY.register(_collector)
    else:
        _collector.factory = factory
        _collector._computed = None
    return _collector
