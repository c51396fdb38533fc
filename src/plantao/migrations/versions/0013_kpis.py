"""kpis: per-incident alert rollups and alert-name counts (the KPI caches), and the indexes
with which KPIs read incidents by period, one person's pages and one kind of timeline entry

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 21:32:11.962058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "kpi_alert_name_counts",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_kpi_alert_name_counts_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "name", name=op.f("pk_kpi_alert_name_counts")),
    )
    op.create_table(
        "kpi_incident_rollups",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("seen_last_alert_at", _WHEN, nullable=False),
        sa.Column("seen_status", sa.String(length=16), nullable=False),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("flaps", sa.Integer(), nullable=False),
        sa.Column("first_alert_at", _WHEN, nullable=True),
        sa.Column("computed_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_kpi_incident_rollups_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_kpi_incident_rollups")),
    )
    op.create_index("ix_incidents_triggered_at", "incidents", ["triggered_at"], unique=False)
    op.create_index(
        "ix_timeline_kind_incident", "timeline_entries", ["kind", "incident_id"], unique=False
    )
    op.create_index(
        "ix_oncall_pages_user_paged", "oncall_pages", ["user_id", "paged_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_oncall_pages_user_paged", table_name="oncall_pages")
    op.drop_index("ix_timeline_kind_incident", table_name="timeline_entries")
    op.drop_index("ix_incidents_triggered_at", table_name="incidents")

    op.drop_table("kpi_incident_rollups")
    op.drop_table("kpi_alert_name_counts")
