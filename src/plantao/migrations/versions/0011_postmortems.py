"""postmortems: business calendars, postmortems with versions and reviews, corrective actions,
the release gate's settings, overrides and decisions, and weekly review sendings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:22:43.165870
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "review_sendings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.String(length=64), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("sent_at", _WHEN, nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_sendings")),
        sa.UniqueConstraint("team_key", "week", name="uq_review_sendings_week"),
    )
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("workdays", sa.String(length=7), server_default="12345", nullable=False),
        sa.Column("holidays", _JSON, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_business_calendars_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendars_name")),
        sa.UniqueConstraint("team_id", name=op.f("uq_business_calendars_team_id")),
    )
    op.create_table(
        "gate_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("revoked_at", _WHEN, nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_gate_overrides_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_overrides")),
    )
    op.create_index("ix_gate_overrides_service", "gate_overrides", ["service_id", "expires_at"])

    op.create_table(
        "gate_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column(
            "block_open_severities",
            sa.String(length=64),
            server_default="sev1,sev2",
            nullable=False,
        ),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_gate_settings_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_settings")),
        sa.UniqueConstraint("service_id", name=op.f("uq_gate_settings_service_id")),
    )
    op.create_table(
        "gate_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=True),
        sa.Column("asked_by", sa.String(length=200), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("blocking", _JSON, nullable=False),
        sa.Column("override_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["override_id"],
            ["gate_overrides.id"],
            name=op.f("fk_gate_decisions_override_id_gate_overrides"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_gate_decisions_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gate_decisions")),
    )
    op.create_index("ix_gate_decisions_service", "gate_decisions", ["service_id", "id"])

    op.create_table(
        "postmortems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=True),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("root_cause", sa.String(length=32), nullable=True),
        sa.Column("cause_change_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("submitted_at", _WHEN, nullable=True),
        sa.Column("published_at", _WHEN, nullable=True),
        sa.Column("published_by", sa.String(length=200), nullable=True),
        sa.Column("reminder_token", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "root_cause IS NULL OR root_cause IN ('change_config', 'change_code', 'change_infra', 'capacity', 'external_dependency', 'data', 'security', 'process')",
            name=op.f("ck_postmortems_root_cause_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'in_review', 'published')",
            name=op.f("ck_postmortems_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["cause_change_id"],
            ["change_events.id"],
            name=op.f("fk_postmortems_cause_change_id_change_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_postmortems_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_postmortems_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortems")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_postmortems_incident_id")),
    )
    op.create_index("ix_postmortems_status_due", "postmortems", ["status", "due_at"])

    op.create_table(
        "corrective_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("environment", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("must_fix", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ticket_url", sa.String(length=2000), nullable=True),
        sa.Column("measure", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=32), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("done_at", _WHEN, nullable=True),
        sa.Column("reminder_token", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "kind IN ('quick_fix', 'hardening', 'prevention', 'follow_up')",
            name=op.f("ck_corrective_actions_kind_known"),
        ),
        sa.CheckConstraint(
            "severity IN ('sev1', 'sev2', 'sev3', 'sev4')",
            name=op.f("ck_corrective_actions_severity_known"),
        ),
        sa.CheckConstraint(
            "status <> 'wont_do' OR reason IS NOT NULL",
            name=op.f("ck_corrective_actions_wont_do_has_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'wont_do')",
            name=op.f("ck_corrective_actions_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_corrective_actions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"],
            ["users.id"],
            name=op.f("fk_corrective_actions_owner_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_corrective_actions_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_corrective_actions_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrective_actions")),
    )
    op.create_index("ix_corrective_actions_due", "corrective_actions", ["status", "due_date"])
    op.create_index(
        "ix_corrective_actions_gate", "corrective_actions", ["service_id", "must_fix", "status"]
    )
    op.create_index(
        "ix_corrective_actions_postmortem", "corrective_actions", ["postmortem_id", "id"]
    )

    op.create_table(
        "postmortem_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_user_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", _WHEN, nullable=False),
        sa.Column("decision", sa.String(length=24), server_default="pending", nullable=False),
        sa.Column("decided_at", _WHEN, nullable=True),
        sa.Column("decided_version", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "decision IN ('pending', 'approved', 'changes_requested')",
            name=op.f("ck_postmortem_reviews_decision_known"),
        ),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_reviews_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_user_id"],
            ["users.id"],
            name=op.f("fk_postmortem_reviews_reviewer_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_reviews")),
        sa.UniqueConstraint("postmortem_id", "reviewer_user_id", name="uq_postmortem_reviews_one"),
    )
    op.create_table(
        "postmortem_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("postmortem_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["postmortem_id"],
            ["postmortems.id"],
            name=op.f("fk_postmortem_versions_postmortem_id_postmortems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_versions")),
        sa.UniqueConstraint("postmortem_id", "version", name="uq_postmortem_versions_number"),
    )


def downgrade() -> None:
    op.drop_table("postmortem_versions")
    op.drop_table("postmortem_reviews")
    op.drop_index("ix_corrective_actions_postmortem", table_name="corrective_actions")
    op.drop_index("ix_corrective_actions_gate", table_name="corrective_actions")
    op.drop_index("ix_corrective_actions_due", table_name="corrective_actions")

    op.drop_table("corrective_actions")
    op.drop_index("ix_postmortems_status_due", table_name="postmortems")

    op.drop_table("postmortems")
    op.drop_index("ix_gate_decisions_service", table_name="gate_decisions")

    op.drop_table("gate_decisions")
    op.drop_table("gate_settings")
    op.drop_index("ix_gate_overrides_service", table_name="gate_overrides")

    op.drop_table("gate_overrides")
    op.drop_table("business_calendars")
    op.drop_table("review_sendings")
