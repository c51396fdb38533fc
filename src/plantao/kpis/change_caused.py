"""Change-caused incidents: the share per service and the count per release version.

Why two signals: seed 002 §4 asks which share of incidents changes caused, per release. The
postmortem's ``cause_change_id`` is the author's verdict and wins; without one, a change event
of the incident's service in the hour before it was triggered (:data:`WINDOW`) is taken as the
cause — the usual first suspect, and what the incident page already shows. An incident is
attributed to ONE change (the named one, else the latest in the window), so a version's count
is the incidents it caused and the per-version counts add up to the change-caused total.

No per-incident round trip: the scope's incidents (with the postmortem's named change) and the
change events of their services in ``[start − 1 h, end)`` (the ``ix_change_events_service_at``
index) come back as numbers (seconds since 1970, ``kpis.epoch``); matching is a binary search
per incident in Python. Only the changes actually blamed are read again for their release
(summary and details, a JSON document each).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.catalog.models import Service
from plantao.changes.models import ChangeEvent
from plantao.incidents.models import Incident
from plantao.kpis.epoch import epoch_seconds, week_number, week_number_of
from plantao.kpis.response import weeks
from plantao.kpis.scope import KpiScope
from plantao.kpis.selection import scoped
from plantao.kpis.shapes import KpiTable, Section, WeekPoint, week_table
from plantao.kpis.stats import share
from plantao.postmortems.models import Postmortem

#: A change this long before an incident is triggered is taken as its cause.
WINDOW = timedelta(hours=1)
#: Longest release label kept in a table (summaries can be long sentences).
_LABEL = 200


@dataclass(frozen=True)
class Change:
    """One change event as the KPI matches it: which, where and when (seconds since 1970)."""

    id: int
    service_id: int
    occurred_at: float


@dataclass(frozen=True)
class ServiceShare:
    service: str
    incidents: int
    change_caused: int
    share: float | None


@dataclass(frozen=True)
class ReleaseCount:
    service: str
    release: str
    incidents: int


@dataclass(frozen=True)
class ChangeCausedReport:
    """Change-caused incidents of one scope: overall, per service, per release, per week."""

    incidents: int
    change_caused: int
    named_in_postmortem: int
    by_service: tuple[ServiceShare, ...]
    by_release: tuple[ReleaseCount, ...]
    weekly: tuple[WeekPoint, ...]

    @property
    def share(self) -> float | None:
        return share(self.change_caused, self.incidents)

    def as_api(self) -> dict[str, Any]:
        return {
            "incidents": self.incidents,
            "change_caused": self.change_caused,
            "named_in_postmortem": self.named_in_postmortem,
            "share": self.share,
            "by_service": [vars(s) for s in self.by_service],
            "by_release": [vars(r) for r in self.by_release],
            "weekly": [
                {"week": p.week.isoformat(), "share": p.value, "incidents": p.count}
                for p in self.weekly
            ],
        }

    def section(self) -> Section:
        return Section(
            name="change_caused",
            tables=(
                KpiTable(
                    name="change_caused_by_service",
                    columns=("service", "incidents", "change_caused", "share"),
                    rows=tuple(
                        (s.service, s.incidents, s.change_caused, s.share) for s in self.by_service
                    ),
                ),
                KpiTable(
                    name="change_caused_by_release",
                    columns=("service", "release", "incidents"),
                    rows=tuple((r.service, r.release, r.incidents) for r in self.by_release),
                ),
                week_table("change_caused_weekly", self.weekly),
            ),
            trends=self.weekly,
            headline={
                "incidents": self.incidents,
                "change_caused": self.change_caused,
                "share": self.share,
            },
        )


def release_of(summary: str, details: Any) -> str:
    """The release a change shipped: its ``version`` detail when given, else its summary.

    The PagerDuty change intake keeps the sender's fields under ``custom_details``, so
    ``details["custom_details"]["version"]`` is where a CI pipeline's version lands; a
    top-level ``details["version"]`` (changes recorded by other means) is read first.
    """
    version = None
    if isinstance(details, dict):
        custom = details.get("custom_details")
        version = details.get("version")
        if version is None and isinstance(custom, dict):
            version = custom.get("version")
    if version is not None and str(version).strip():
        return str(version).strip()[:_LABEL]
    return (summary.strip() or "(no summary)")[:_LABEL]


def cause_of(
    triggered_at: float,
    named: Change | None,
    candidates: Sequence[Change],
    times: Sequence[float] | None = None,
) -> Change | None:
    """The change blamed for an incident: the postmortem's, else the latest in the window.

    ``candidates`` are the service's changes sorted by time; a change at the very moment of
    triggering counts (it was deployed when the alerts began), one an hour and a second
    before does not. ``times`` (the candidates' ``occurred_at``, precomputed once per service)
    keeps a year of incidents from rebuilding the list each time.
    """
    if named is not None:
        return named
    if times is None:
        times = [c.occurred_at for c in candidates]
    last = bisect_right(times, triggered_at) - 1
    if last >= 0 and candidates[last].occurred_at >= triggered_at - WINDOW.total_seconds():
        return candidates[last]
    return None


def compute(session: Session, scope: KpiScope) -> ChangeCausedReport:
    """The change-caused figures of the scope's incidents."""
    incidents = (
        session.connection()
        .execute(
            scoped(
                scope,
                Incident.service_id,
                epoch_seconds(Incident.triggered_at),
                week_number(Incident.triggered_at),
                Postmortem.cause_change_id,
            ).outerjoin(Postmortem, Postmortem.incident_id == Incident.id)
        )
        .all()
    )
    services = scoped(scope, Incident.service_id).distinct()
    in_window = _changes(
        session,
        ChangeEvent.service_id.in_(services),
        ChangeEvent.occurred_at >= scope.start - WINDOW,
        ChangeEvent.occurred_at < scope.end,
    )
    known = {c.id: c for c in in_window}
    missing = {row[3] for row in incidents if row[3] is not None} - set(known)
    if missing:
        known.update((c.id, c) for c in _changes(session, ChangeEvent.id.in_(sorted(missing))))
    per_service: dict[int, list[Change]] = defaultdict(list)
    for change in sorted(in_window, key=lambda c: (c.occurred_at, c.id)):
        per_service[change.service_id].append(change)
    per_service_times = {sid: [c.occurred_at for c in cs] for sid, cs in per_service.items()}

    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    blamed: dict[int, int] = defaultdict(int)  # change id -> incidents it caused
    weekly: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    named = 0
    for service_id, triggered_at, number, cause_change_id in incidents:
        named_change = known.get(cause_change_id) if cause_change_id is not None else None
        cause = cause_of(
            triggered_at,
            named_change,
            per_service.get(service_id, ()),
            per_service_times.get(service_id, ()),
        )
        totals[service_id][0] += 1
        weekly[number][0] += 1
        if cause is None:
            continue
        named += named_change is not None
        totals[service_id][1] += 1
        weekly[number][1] += 1
        blamed[cause.id] += 1
    slugs = dict(session.execute(select(Service.id, Service.slug)).tuples().all())
    releases: dict[tuple[str, str], int] = defaultdict(int)
    for change_id, service_id, release in _releases(session, sorted(blamed)):
        releases[(slugs.get(service_id, "?"), release)] += blamed[change_id]
    by_service = [
        ServiceShare(slugs.get(sid, "?"), n, c, share(c, n)) for sid, (n, c) in totals.items()
    ]
    by_service.sort(key=lambda s: (-s.change_caused, s.service))
    return ChangeCausedReport(
        incidents=len(incidents),
        change_caused=sum(blamed.values()),
        named_in_postmortem=named,
        by_service=tuple(by_service),
        by_release=tuple(
            ReleaseCount(service, release, n)
            for (service, release), n in sorted(releases.items(), key=lambda kv: (-kv[1], kv[0]))
        ),
        weekly=tuple(
            WeekPoint(
                week=monday,
                series="change_caused_share",
                value=share(weekly[number][1], weekly[number][0]) if number in weekly else None,
                count=weekly[number][0] if number in weekly else 0,
            )
            for monday in weeks(scope)
            for number in (week_number_of(monday),)
        ),
    )


def _changes(session: Session, *where: Any) -> list[Change]:
    """Changes without their details (a JSON document each): only blamed ones need those."""
    rows = session.connection().execute(
        select(
            ChangeEvent.id, ChangeEvent.service_id, epoch_seconds(ChangeEvent.occurred_at)
        ).where(*where)
    )
    return [Change(r[0], r[1], r[2]) for r in rows]


def _releases(session: Session, ids: Sequence[int]) -> list[tuple[int, int, str]]:
    """``(id, service_id, release)`` of the blamed changes, in chunks of 1000 ids."""
    found: list[tuple[int, int, str]] = []
    for first in range(0, len(ids), 1000):
        rows = session.execute(
            select(
                ChangeEvent.id, ChangeEvent.service_id, ChangeEvent.summary, ChangeEvent.details
            ).where(ChangeEvent.id.in_(ids[first : first + 1000]))
        )
        found.extend((r[0], r[1], release_of(r[2], r[3])) for r in rows)
    return found
