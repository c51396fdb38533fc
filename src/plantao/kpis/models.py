"""KPI caches: per-incident alert rollups, so a year of KPIs never re-reads millions of alerts.

Why a cache and not a materialized view: SQLite has none, and the rollup must be refreshed
incrementally (only incidents whose alerts changed) by an engine step on both databases.
``source_stamp`` is the signature of the incident's alert state when the row was computed; a
row whose stamp no longer matches is stale and recomputed.
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
    source_stamp: Mapped[str] = mapped_column(String(64))
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
