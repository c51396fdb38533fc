"""KPI caches: per-incident alert rollups, so a year of KPIs never re-reads millions of alerts.

Why a cache and not a materialized view: SQLite has none, and the rollup must be refreshed
incrementally (only incidents whose alerts changed) by an engine step on both databases.
``seen_last_alert_at`` and ``seen_status`` are the incident's values when the row was computed:
new alerts move ``last_alert_at``, a flap reopens or re-triggers; a row whose values no longer
match is stale and recomputed (see ``rollups.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from plantao.db import Base


class KpiIncidentRollup(Base):
    """How many alerts (and flaps) one incident gathered, and when its first alert started."""

    __tablename__ = "kpi_incident_rollups"
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    seen_last_alert_at: Mapped[datetime]
    seen_status: Mapped[str] = mapped_column(String(16))
    alerts: Mapped[int] = mapped_column(Integer)
    flaps: Mapped[int] = mapped_column(Integer)
    first_alert_at: Mapped[datetime | None]
    computed_at: Mapped[datetime]


class KpiAlertNameCount(Base):
    """Alerts of one name in one incident: the top-noisy-names table sums these."""

    __tablename__ = "kpi_alert_name_counts"
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    alerts: Mapped[int] = mapped_column(Integer)
