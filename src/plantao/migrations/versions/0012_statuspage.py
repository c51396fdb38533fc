"""statuspage: pages, components, public incidents with their components and updates, proposal
dismissals, public maintenance, subscribers, rendered snapshots and page states

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:15:26.057573
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=253), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("branding", _JSON, nullable=False),
        sa.Column("components_declared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "audience IN ('public', 'internal')", name=op.f("ck_status_pages_audience_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_pages")),
        sa.UniqueConstraint("host", name=op.f("uq_status_pages_host")),
        sa.UniqueConstraint("slug", name=op.f("uq_status_pages_slug")),
    )
    op.create_table(
        "status_components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("group_name", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("services", _JSON, nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')",
            name=op.f("ck_status_components_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_components_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_components")),
        sa.UniqueConstraint("page_id", "slug", name="uq_status_components_slug"),
    )
    op.create_table(
        "status_maintenances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("silence_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("components", _JSON, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("notified", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_maintenances_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["silence_id"],
            ["oncall_silences.id"],
            name=op.f("fk_status_maintenances_silence_id_oncall_silences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_maintenances")),
        sa.UniqueConstraint("silence_id", "page_id", name="uq_status_maintenances_window"),
    )
    op.create_table(
        "status_page_states",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("rendered_version", sa.Integer(), nullable=False),
        sa.Column("rendered_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_page_states_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("page_id", name=op.f("pk_status_page_states")),
    )
    op.create_table(
        "status_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(length=64), nullable=False),
        sa.Column("generated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_snapshots_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_snapshots")),
        sa.UniqueConstraint("page_id", "name", name="uq_status_snapshots_name"),
    )
    op.create_table(
        "status_subscribers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=2000), nullable=False),
        sa.Column("components", _JSON, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("confirmed_at", _WHEN, nullable=True),
        sa.Column("unsubscribed_at", _WHEN, nullable=True),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "kind IN ('email', 'webhook')", name=op.f("ck_status_subscribers_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_subscribers_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_subscribers")),
        sa.UniqueConstraint("page_id", "kind", "address", name="uq_status_subscribers_address"),
    )
    op.create_index(
        "ix_status_subscribers_live",
        "status_subscribers",
        ["page_id", "confirmed_at", "unsubscribed_at"],
        unique=False,
    )

    op.create_table(
        "public_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("resolved_at", _WHEN, nullable=True),
        sa.CheckConstraint(
            "impact IN ('none', 'minor', 'major', 'critical', 'maintenance')",
            name=op.f("ck_public_incidents_impact_known"),
        ),
        sa.CheckConstraint(
            "status IN ('investigating', 'identified', 'monitoring', 'resolved')",
            name=op.f("ck_public_incidents_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_public_incidents_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_public_incidents_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_incidents")),
    )
    op.create_index(
        "ix_public_incidents_incident_id", "public_incidents", ["incident_id"], unique=False
    )
    op.create_index(
        "ix_public_incidents_page",
        "public_incidents",
        ["page_id", "resolved_at", "id"],
        unique=False,
    )

    op.create_table(
        "status_proposal_dismissals",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_by", sa.String(length=200), nullable=False),
        sa.Column("dismissed_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_status_proposal_dismissals_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["status_pages.id"],
            name=op.f("fk_status_proposal_dismissals_page_id_status_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "incident_id", "page_id", name=op.f("pk_status_proposal_dismissals")
        ),
    )
    op.create_table(
        "public_incident_components",
        sa.Column("public_incident_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.CheckConstraint(
            "status IN ('operational', 'degraded_performance', 'partial_outage', 'major_outage', 'under_maintenance')",
            name=op.f("ck_public_incident_components_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["status_components.id"],
            name=op.f("fk_public_incident_components_component_id_status_components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["public_incident_id"],
            ["public_incidents.id"],
            name=op.f("fk_public_incident_components_public_incident_id_public_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "public_incident_id", "component_id", name=op.f("pk_public_incident_components")
        ),
    )
    op.create_table(
        "public_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("components", _JSON, nullable=False),
        sa.Column("status_update_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("notified_at", _WHEN, nullable=True),
        sa.CheckConstraint(
            "status IN ('investigating', 'identified', 'monitoring', 'resolved')",
            name=op.f("ck_public_updates_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["public_incident_id"],
            ["public_incidents.id"],
            name=op.f("fk_public_updates_public_incident_id_public_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_update_id"],
            ["status_updates.id"],
            name=op.f("fk_public_updates_status_update_id_status_updates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_updates")),
    )
    op.create_index(
        "ix_public_updates_incident", "public_updates", ["public_incident_id", "id"], unique=False
    )
    op.create_index("ix_public_updates_notified", "public_updates", ["notified_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_public_updates_notified", table_name="public_updates")
    op.drop_index("ix_public_updates_incident", table_name="public_updates")

    op.drop_table("public_updates")
    op.drop_table("public_incident_components")
    op.drop_table("status_proposal_dismissals")
    op.drop_index("ix_public_incidents_page", table_name="public_incidents")
    op.drop_index("ix_public_incidents_incident_id", table_name="public_incidents")

    op.drop_table("public_incidents")
    op.drop_index("ix_status_subscribers_live", table_name="status_subscribers")

    op.drop_table("status_subscribers")
    op.drop_table("status_snapshots")
    op.drop_table("status_page_states")
    op.drop_table("status_maintenances")
    op.drop_table("status_components")
    op.drop_table("status_pages")
