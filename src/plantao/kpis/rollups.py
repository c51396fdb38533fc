"""Keeping the per-incident alert rollups current, a batch of stale incidents at a time.

Why: alert-noise figures and MTTD need, per incident, how many alerts it gathered, how often
they flapped, when the first one started and which names were loudest. Counting that from the
alerts table for a year of incidents (millions of rows) on every page view would blow the KPI
page's one-second budget, so the engine keeps ``kpi_incident_rollups`` and
``kpi_alert_name_counts`` current and the KPIs read those.

An incident's rollup is stale when it has none, when its ``last_alert_at`` or status moved since
(new alerts, a flap that re-triggered or reopened it), or, while it is still open, when the row
is older than :data:`OPEN_REFRESH` (an open incident's alerts can flap without moving either).
Each batch is two grouped queries over the alerts of at most :data:`BATCH` incidents (the
``alerts.incident_id`` index), then a delete and an insert of their rows. On PostgreSQL a
transaction-level advisory lock lets one engine refresh at a time; the others skip the round.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session

from plantao import clock
from plantao.alerts.models import Alert
from plantao.db import is_postgres
from plantao.incidents.models import Incident
from plantao.kpis.models import KpiAlertNameCount, KpiIncidentRollup

#: Incidents recomputed per batch: one IN list, two grouped queries.
BATCH = 1000
#: An open incident's rollup is recomputed at least this often.
OPEN_REFRESH = timedelta(seconds=60)
#: The advisory lock key of the refresher (any constant unique to this use; "kpis" in ASCII).
_LOCK_KEY = 0x6B706973
_OPEN = ("triggered", "acknowledged", "mitigated")
_NAME_LENGTH = 255


def _stale(session: Session, now: datetime, limit: int) -> list[tuple[int, datetime, str]]:
    rollup = KpiIncidentRollup
    rows = session.execute(
        select(Incident.id, Incident.last_alert_at, Incident.status)
        .outerjoin(rollup, rollup.incident_id == Incident.id)
        .where(
            or_(
                rollup.incident_id.is_(None),
                rollup.seen_last_alert_at != Incident.last_alert_at,
                rollup.seen_status != Incident.status,
                and_(Incident.status.in_(_OPEN), rollup.computed_at < now - OPEN_REFRESH),
            )
        )
        .order_by(Incident.id)
        .limit(limit)
    ).all()
    return [(r[0], r[1], str(r[2])) for r in rows]


def alert_name(alertname: Any, summary: str) -> str:
    """The name an alert is counted under: its ``alertname`` label, else its summary."""
    name = alertname if isinstance(alertname, str) and alertname.strip() else summary
    return (name.strip() or "(unnamed)")[:_NAME_LENGTH]


def _recompute(session: Session, stale: Sequence[tuple[int, datetime, str]], now: datetime) -> None:
    ids = [incident_id for incident_id, _, _ in stale]
    totals = {
        row[0]: (int(row[1]), int(row[2] or 0), row[3])
        for row in session.execute(
            select(
                Alert.incident_id,
                func.count(),
                func.sum(Alert.flap_count),
                func.min(Alert.starts_at),
            )
            .where(Alert.incident_id.in_(ids))
            .group_by(Alert.incident_id)
        )
    }
    label = Alert.labels["alertname"].as_string()
    names: dict[tuple[int, str], int] = defaultdict(int)
    for incident_id, alertname, summary, count in session.execute(
        select(Alert.incident_id, label, Alert.summary, func.count())
        .where(Alert.incident_id.in_(ids))
        .group_by(Alert.incident_id, label, Alert.summary)
    ):
        names[(incident_id, alert_name(alertname, summary))] += int(count)
    session.execute(delete(KpiAlertNameCount).where(KpiAlertNameCount.incident_id.in_(ids)))
    session.execute(delete(KpiIncidentRollup).where(KpiIncidentRollup.incident_id.in_(ids)))
    session.execute(
        insert(KpiIncidentRollup),
        [
            {
                "incident_id": incident_id,
                "seen_last_alert_at": last_alert_at,
                "seen_status": status,
                "alerts": totals.get(incident_id, (0, 0, None))[0],
                "flaps": totals.get(incident_id, (0, 0, None))[1],
                "first_alert_at": totals.get(incident_id, (0, 0, None))[2],
                "computed_at": now,
            }
            for incident_id, last_alert_at, status in stale
        ],
    )
    if names:
        session.execute(
            insert(KpiAlertNameCount),
            [
                {"incident_id": incident_id, "name": name, "alerts": count}
                for (incident_id, name), count in names.items()
            ],
        )


def refresh_batch(session: Session, limit: int = BATCH) -> int:
    """Recompute at most ``limit`` stale rollups; how many were stale (0: all current).

    Returns 0 without work when another engine holds the refresher's lock (PostgreSQL).
    """
    if (
        is_postgres(session)
        and not session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY}
        ).scalar_one()
    ):
        return 0
    now = clock.now()
    stale = _stale(session, now, limit)
    if stale:
        _recompute(session, stale, now)
        session.flush()
    return len(stale)


def refresh(session: Session, limit: int = BATCH) -> int:
    """Bring every rollup up to date in this transaction; how many were recomputed.

    For tests, benchmarks and ``plantao kpis refresh``; the engine step calls
    :func:`refresh_batch` in a transaction per batch instead.
    """
    done = 0
    while True:
        count = refresh_batch(session, limit)
        done += count
        if count < limit:
            return done
