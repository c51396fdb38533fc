"""On-call: schedules, overrides, policies, escalations, pages, silences, heartbeats

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:42:09.850396
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oncall_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_policies")),
        sa.UniqueConstraint("slug", name=op.f("uq_oncall_policies_slug")),
    )
    op.create_table(
        "oncall_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column(
            "layers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ical_secret", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_schedules")),
        sa.UniqueConstraint("ical_secret", name=op.f("uq_oncall_schedules_ical_secret")),
        sa.UniqueConstraint("slug", name=op.f("uq_oncall_schedules_slug")),
    )
    op.create_table(
        "oncall_settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_oncall_settings")),
    )
    op.create_table(
        "oncall_silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "recurrence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "services",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "matchers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "origin IN ('config', 'api')", name=op.f("ck_oncall_silences_origin_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_silences")),
    )
    with op.batch_alter_table("oncall_silences", schema=None) as batch_op:
        batch_op.create_index("ix_oncall_silences_origin_name", ["origin", "name"], unique=False)

    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=True),
        sa.Column("replaces", sa.String(length=64), nullable=True),
        sa.Column("layer", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('replace', 'add', 'remove')", name=op.f("ck_oncall_overrides_kind_known")
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_oncall_overrides_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_overrides_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_overrides_schedule_id"), ["schedule_id"], unique=False
        )

    op.create_table(
        "oncall_user_feeds",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_user_feeds_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_oncall_user_feeds")),
        sa.UniqueConstraint("secret", name=op.f("uq_oncall_user_feeds_secret")),
    )
    op.create_table(
        "oncall_service_policies",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["oncall_policies.id"],
            name=op.f("fk_oncall_service_policies_policy_id_oncall_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_oncall_service_policies_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_oncall_service_policies")),
    )
    op.create_table(
        "oncall_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("grace_seconds", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('waiting', 'ok', 'overdue')", name=op.f("ck_oncall_heartbeats_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_oncall_heartbeats_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_oncall_heartbeats_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_heartbeats")),
        sa.UniqueConstraint("key", name=op.f("uq_oncall_heartbeats_key")),
        sa.UniqueConstraint("slug", name=op.f("uq_oncall_heartbeats_slug")),
    )
    op.create_table(
        "oncall_escalations",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("policy_slug", sa.String(length=64), nullable=False),
        sa.Column(
            "snapshot",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "cursor",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice", sa.String(length=300), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'stopped', 'exhausted')",
            name=op.f("ck_oncall_escalations_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_oncall_escalations_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_oncall_escalations")),
    )
    op.create_table(
        "oncall_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("firing", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("paged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_oncall_pages_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_pages_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_pages")),
        sa.UniqueConstraint(
            "incident_id",
            "firing",
            "user_id",
            name=op.f("uq_oncall_pages_incident_id_firing_user_id"),
        ),
    )
    with op.batch_alter_table("oncall_pages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_pages_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oncall_pages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_pages_incident_id"))

    op.drop_table("oncall_pages")
    op.drop_table("oncall_escalations")
    op.drop_table("oncall_heartbeats")
    op.drop_table("oncall_service_policies")
    op.drop_table("oncall_user_feeds")
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_overrides_schedule_id"))

    op.drop_table("oncall_overrides")
    with op.batch_alter_table("oncall_silences", schema=None) as batch_op:
        batch_op.drop_index("ix_oncall_silences_origin_name")

    op.drop_table("oncall_silences")
    op.drop_table("oncall_settings")
    op.drop_table("oncall_schedules")
    op.drop_table("oncall_policies")
