"""The KPI figures as Prometheus samples: which gauge each section's figures become.

Why a separate table of families: the names are an interface (teams build Grafana dashboards on
them, ``docs/kpi-metrics.md`` lists them, the shipped dashboard is tested against a scrape), so
they are declared once here, with their help text and labels, and every reader below only fills
values in. The figures themselves come from the section modules (``response.compute``...) —
never recomputed here — so ``/metrics``, the page and the API always agree.

A figure that has no value (no incidents of that severity, no target) is left out rather than
exported as 0: "no data" and "0 seconds" or "0 %" mean different things on a dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from plantao.kpis import (
    adherence,
    change_caused,
    incident_counts,
    noise,
    oncall_load,
    response,
    routine_completion,
    runbook_coverage,
    update_punctuality,
)
from plantao.kpis.scope import KpiScope
from plantao.kpis.shapes import DurationFigure


@dataclass(frozen=True)
class Family:
    """One exported gauge; every family also carries ``window`` as its first label."""

    name: str
    help: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sample:
    """One value of a family; ``labels`` in the family's order, without the window."""

    family: str
    labels: tuple[str, ...]
    value: float


_DURATION_TEXT = {
    "mttd": "detection (first alert start to incident triggered)",
    "mtta": "acknowledgement (triggered to acknowledged)",
    "mttm": "mitigation (triggered to mitigated or resolved)",
    "mttr": "resolution (triggered to resolved)",
}


#: The durations the severity matrix sets a target for (MTTD and time to mitigate have none).
_TARGETED = ("mtta", "mttr")


def _duration_families() -> list[Family]:
    found = []
    sev = ("severity",)
    for name, text in _DURATION_TEXT.items():
        found += [
            Family(f"plantao_kpi_{name}_p50_seconds", f"Median time to {text}", sev),
            Family(f"plantao_kpi_{name}_p90_seconds", f"90th percentile time to {text}", sev),
        ]
    for name in _TARGETED:
        text = _DURATION_TEXT[name]
        found += [
            Family(
                f"plantao_kpi_{name}_target_seconds",
                f"The severity matrix's target for time to {text}",
                sev,
            ),
            Family(
                f"plantao_kpi_{name}_met_ratio",
                f"Share (0-1) of incidents whose time to {text} met the target",
                sev,
            ),
        ]
    return found


FAMILIES: tuple[Family, ...] = (
    Family("plantao_kpi_incidents", "Incidents triggered in the window", ("severity",)),
    *_duration_families(),
    Family(
        "plantao_kpi_incidents_by_root_cause",
        "Incidents triggered in the window, by their postmortem's root-cause taxonomy",
        ("root_cause",),
    ),
    Family(
        "plantao_kpi_change_caused_ratio",
        "Share (0-1) of incidents caused by a change (one in the hour before, or named in the "
        "postmortem)",
    ),
    Family(
        "plantao_kpi_change_caused_ratio_by_service",
        "Share (0-1) of a service's incidents caused by a change",
        ("service",),
    ),
    Family(
        "plantao_kpi_runbook_coverage_ratio",
        "Share (0-1) of incidents with a linked or confirmed runbook",
    ),
    Family(
        "plantao_kpi_runbook_confirmed_ratio",
        "Share (0-1) of incidents with a runbook a responder confirmed",
    ),
    Family(
        "plantao_kpi_runbook_usefulness_ratio",
        "Share (0-1) of suggested runbooks that responders confirmed",
    ),
    Family(
        "plantao_kpi_rca_adherence_ratio",
        "Share (0-1) of owed postmortems published by their due time (decided ones)",
    ),
    Family(
        "plantao_kpi_action_adherence_ratio",
        "Share (0-1) of corrective actions done by their due date (decided ones)",
    ),
    Family(
        "plantao_kpi_status_update_on_time_ratio",
        "Share (0-1) of promised status updates posted on time",
        ("severity",),
    ),
    Family(
        "plantao_kpi_status_updates",
        "Promised status updates by outcome (on_time, late, missed)",
        ("severity", "outcome"),
    ),
    Family("plantao_kpi_alerts_per_incident", "Mean alerts per incident that had alerts"),
    Family("plantao_kpi_alerts_per_incident_p90", "90th percentile of alerts per incident"),
    Family(
        "plantao_kpi_auto_resolved_unacknowledged_ratio",
        "Share (0-1) of resolved incidents that resolved before anyone acknowledged them",
    ),
    Family("plantao_kpi_flapping_incidents", "Incidents with at least one flapping alert"),
    Family("plantao_kpi_reopened_incidents", "Incidents reopened at least once"),
    Family("plantao_kpi_pages", "Pages sent to people"),
    Family(
        "plantao_kpi_pages_outside_working_hours",
        "Pages outside the paged person's working hours, in their own time zone",
    ),
    Family(
        "plantao_kpi_pages_night",
        "Pages at night (22:00-07:00) in the paged person's own time zone",
    ),
    Family("plantao_kpi_night_pages_per_week", "Night pages per week over the window"),
    Family(
        "plantao_kpi_routine_tasks",
        "Operational routine tasks due in the window, by outcome (on_time, late, open)",
        ("outcome",),
    ),
    Family(
        "plantao_kpi_routine_on_time_ratio",
        "Share (0-1) of finished routine tasks done on time",
    ),
)
NAMES = frozenset(f.name for f in FAMILIES)


def _duration(name: str, severity: str, figure: DurationFigure) -> Iterator[Sample]:
    values: list[tuple[str, float | None]] = [
        ("p50_seconds", figure.p50_seconds),
        ("p90_seconds", figure.p90_seconds),
    ]
    if name in _TARGETED:
        values += [("target_seconds", figure.target_seconds), ("met_ratio", figure.met_share)]
    for suffix, value in values:
        if value is not None:
            yield Sample(f"plantao_kpi_{name}_{suffix}", (severity,), float(value))


def _response(session: Session, scope: KpiScope) -> Iterator[Sample]:
    for row in response.compute(session, scope).by_severity:
        yield Sample("plantao_kpi_incidents", (row.severity,), float(row.incidents))
        for name in _DURATION_TEXT:
            yield from _duration(name, row.severity, getattr(row, name))


def _optional(family: str, value: float | None) -> Iterator[Sample]:
    if value is not None:
        yield Sample(family, (), float(value))


def _noise(session: Session, scope: KpiScope) -> Iterator[Sample]:
    found = noise.compute(session, scope)
    yield from _optional("plantao_kpi_alerts_per_incident", found.alerts_mean)
    yield from _optional("plantao_kpi_alerts_per_incident_p90", found.alerts_p90)
    yield from _optional(
        "plantao_kpi_auto_resolved_unacknowledged_ratio", found.auto_resolved_share
    )
    yield Sample("plantao_kpi_flapping_incidents", (), float(found.flapping_incidents))
    yield Sample("plantao_kpi_reopened_incidents", (), float(found.reopened_incidents))


def _oncall_load(session: Session, scope: KpiScope) -> Iterator[Sample]:
    found = oncall_load.compute(session, scope)
    yield Sample("plantao_kpi_pages", (), float(found.pages))
    yield Sample("plantao_kpi_pages_outside_working_hours", (), float(found.outside_working_hours))
    yield Sample("plantao_kpi_pages_night", (), float(found.night))
    yield Sample("plantao_kpi_night_pages_per_week", (), oncall_load.per_week(found.night, scope))


def _routines(session: Session, scope: KpiScope) -> Iterator[Sample]:
    total = routine_completion.compute(session, scope).totals()
    for outcome, value in (("on_time", total.on_time), ("late", total.late), ("open", total.open)):
        yield Sample("plantao_kpi_routine_tasks", (outcome,), float(value))
    yield from _optional("plantao_kpi_routine_on_time_ratio", total.on_time_share)


def _counts(session: Session, scope: KpiScope) -> Iterator[Sample]:
    for count in incident_counts.compute(session, scope).by_root_cause:
        yield Sample("plantao_kpi_incidents_by_root_cause", (count.key,), float(count.count))


def _change_caused(session: Session, scope: KpiScope) -> Iterator[Sample]:
    found = change_caused.compute(session, scope)
    yield from _optional("plantao_kpi_change_caused_ratio", found.share)
    for row in found.by_service:
        if row.share is not None:
            yield Sample("plantao_kpi_change_caused_ratio_by_service", (row.service,), row.share)


def _runbooks(session: Session, scope: KpiScope) -> Iterator[Sample]:
    found = runbook_coverage.compute(session, scope)
    yield from _optional("plantao_kpi_runbook_coverage_ratio", found.coverage)
    yield from _optional("plantao_kpi_runbook_confirmed_ratio", found.confirmed_coverage)
    yield from _optional("plantao_kpi_runbook_usefulness_ratio", found.usefulness)


def _adherence(session: Session, scope: KpiScope) -> Iterator[Sample]:
    found = adherence.compute(session, scope)
    yield from _optional("plantao_kpi_rca_adherence_ratio", found.rca.share)
    yield from _optional("plantao_kpi_action_adherence_ratio", found.actions.share)


def _punctuality(session: Session, scope: KpiScope) -> Iterator[Sample]:
    found = update_punctuality.compute(session, scope)
    for severity, figures in sorted(found.by_severity.items()):
        for outcome in ("on_time", "late", "missed"):
            value = float(getattr(figures, outcome))
            yield Sample("plantao_kpi_status_updates", (severity, outcome), value)
        if figures.on_time_share is not None:
            yield Sample(
                "plantao_kpi_status_update_on_time_ratio", (severity,), figures.on_time_share
            )


Reader = Callable[[Session, KpiScope], Iterator[Sample]]

#: Section name → what it exports; each runs in its own transaction (see ``kpis.metrics``).
READERS: dict[str, Reader] = {
    "response": _response,
    "incident_counts": _counts,
    "change_caused": _change_caused,
    "runbook_coverage": _runbooks,
    "adherence": _adherence,
    "update_punctuality": _punctuality,
    "noise": _noise,
    "oncall_load": _oncall_load,
    "routine_completion": _routines,
}
