"""Maintenance windows and silences as rules: when they are active and what they cover.

Pure module (the rows live in :mod:`plantao.oncall.window_store`). A window is one-off
(``[start, end)``; ``end`` None means "until ended") or recurring: every ``every_days`` days
(optionally only on some weekdays) at local ``start`` in ``tz`` for ``duration``. Recurring days
are counted from Monday 1970-01-05, so ``every: 7d`` means Mondays and ``every: 2d`` alternates
from that Monday. A local start inside a DST gap moves forward by the gap (the same rule as
rotations).

A window covers an incident when it names the incident's service, or when every one of its
label matchers matches some alert of the incident. A window with neither covers everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from plantao.matchers import Matcher, all_match
from plantao.oncall.rotation import resolve_local

__all__ = ["Recurrence", "Window"]

_ANCHOR = date(1970, 1, 5)  # a Monday


@dataclass(frozen=True)
class Recurrence:
    every_days: int
    start: time
    duration: timedelta
    tz: str = "UTC"
    weekdays: frozenset[int] | None = None

    def __post_init__(self) -> None:
        if self.every_days < 1:
            raise ValueError("a recurrence repeats every one day or more")
        if not timedelta(0) < self.duration <= timedelta(days=self.every_days):
            raise ValueError("the duration must be positive and at most the period")
        ZoneInfo(self.tz)

    def _runs_on(self, day: date) -> bool:
        if (day - _ANCHOR).days % self.every_days:
            return False
        return self.weekdays is None or day.weekday() in self.weekdays

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence in progress at ``at``, if any."""
        zone = ZoneInfo(self.tz)
        today = at.astimezone(zone).date()
        back = self.duration.days + 1
        for offset in range(back, -1, -1):
            day = today - timedelta(days=offset)
            if not self._runs_on(day):
                continue
            begins = resolve_local(day, self.start, zone)
            if begins <= at < begins + self.duration:
                return begins, begins + self.duration
        return None


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime | None = None
    end: datetime | None = None
    recurrence: Recurrence | None = None
    services: frozenset[str] = frozenset()
    matchers: tuple[Matcher, ...] = ()

    def active_until(self, at: datetime) -> datetime | bool | None:
        """False when inactive at ``at``; else when it ends (None: no planned end)."""
        at = at.astimezone(UTC)
        if self.recurrence is not None:
            span = self.recurrence.occurrence_at(at)
            return False if span is None else span[1]
        if self.start is not None and at < self.start:
            return False
        if self.end is not None and at >= self.end:
            return False
        return self.end

    def covers(self, service: str, alert_labels: Iterable[Mapping[str, str]]) -> bool:
        if not self.services and not self.matchers:
            return True
        if service in self.services:
            return True
        if self.matchers:
            return any(all_match(self.matchers, dict(labels)) for labels in alert_labels)
        return False
