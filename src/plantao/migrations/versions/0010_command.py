"""command: declared incidents (description, private, category), incident roles, responder
states, status updates and their cadence timer, checklist ticks, stakeholders, template
overrides, and outbox messages to stakeholders (deliveries without a user)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 13:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("category", sa.String(length=32), nullable=True))

    # Escalation while acknowledged but unresolved (oncall/unresolved.py).
    with op.batch_alter_table("oncall_escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unresolved_next", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("unresolved_token", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("unresolved_due_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("unresolved_since", _WHEN, nullable=True))

    with op.batch_alter_table("incident_responders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="joined", nullable=False)
        )
        batch_op.add_column(
            sa.Column("via", sa.String(length=200), server_default="user", nullable=False)
        )
        batch_op.add_column(sa.Column("paged_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("acknowledged_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("joined_at", _WHEN, nullable=True))
        batch_op.create_check_constraint(
            "state_known", "state IN ('paged', 'acknowledged', 'joined')"
        )

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=2048), nullable=True))
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('page', 'digest', 'message')")
        batch_op.create_check_constraint(
            "has_recipient", "user_id IS NOT NULL OR address IS NOT NULL"
        )
    op.create_index(
        "ix_deliveries_addressed_released",
        "deliveries",
        ["released_at"],
        sqlite_where=sa.text("contact_method_id IS NULL"),
        postgresql_where=sa.text("contact_method_id IS NULL"),
    )

    with op.batch_alter_table("incident_reactions", schema=None) as batch_op:
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint(
            "kind_known", "kind IN ('opened', 'status', 'alerts', 'severity')"
        )

    op.create_table(
        "incident_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("assigned_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "role IN ('incident_commander', 'comms_lead', 'ops_lead', 'sme', 'scribe')",
            name=op.f("ck_incident_roles_role_known"),
        ),
        _fk("incident_roles", "incident_id", "incidents"),
        _fk("incident_roles", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_roles")),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_incident_roles_one_hat"),
    )
    op.create_index(
        "ux_incident_roles_single",
        "incident_roles",
        ["incident_id", "role"],
        unique=True,
        sqlite_where=sa.text("role <> 'sme'"),
        postgresql_where=sa.text("role <> 'sme'"),
    )

    op.create_table(
        "status_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("symptoms", sa.Text(), nullable=True),
        sa.Column("mitigation", sa.Text(), nullable=True),
        sa.Column("next_steps", _JSON, nullable=False),
        sa.Column("resolution", _JSON, nullable=True),
        sa.Column("posted_by", sa.String(length=200), nullable=False),
        sa.Column("posted_at", _WHEN, nullable=False),
        sa.Column("next_update_due_at", _WHEN, nullable=True),
        sa.Column("fanned_out_at", _WHEN, nullable=True),
        sa.CheckConstraint(
            "kind IN ('initial', 'update', 'resolution')", name=op.f("ck_status_updates_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('investigating', 'identified', 'monitoring', 'resolved')",
            name=op.f("ck_status_updates_status_known"),
        ),
        _fk("status_updates", "incident_id", "incidents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_updates")),
    )
    op.create_index("ix_status_updates_incident", "status_updates", ["incident_id", "id"])
    op.create_index("ix_status_updates_fanned_out", "status_updates", ["fanned_out_at"])

    op.create_table(
        "update_cadences",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=True),
        sa.Column("next_due_at", _WHEN, nullable=True),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("overdue_since", _WHEN, nullable=True),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "state IN ('active', 'stopped')", name=op.f("ck_update_cadences_state_known")
        ),
        _fk("update_cadences", "incident_id", "incidents"),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_update_cadences")),
    )
    op.create_index("ix_update_cadences_due", "update_cadences", ["state", "next_due_at"])

    op.create_table(
        "incident_checklist_ticks",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("checklist", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("ticked_by", sa.String(length=200), nullable=False),
        sa.Column("ticked_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "checklist IN ('setup', 'close')",
            name=op.f("ck_incident_checklist_ticks_checklist_known"),
        ),
        _fk("incident_checklist_ticks", "incident_id", "incidents"),
        sa.PrimaryKeyConstraint(
            "incident_id", "checklist", "item", name=op.f("pk_incident_checklist_ticks")
        ),
    )

    op.create_table(
        "stakeholders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=2048), nullable=True),
        sa.Column("secret", sa.String(length=512), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("min_severity", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "kind IN ('user', 'email', 'slack', 'teams', 'mattermost', 'webhook')",
            name=op.f("ck_stakeholders_kind_known"),
        ),
        sa.CheckConstraint(
            "scope IN ('global', 'team', 'service')", name=op.f("ck_stakeholders_scope_known")
        ),
        sa.CheckConstraint(
            "origin IN ('config', 'api')", name=op.f("ck_stakeholders_origin_known")
        ),
        sa.CheckConstraint(
            "(kind = 'user' AND user_id IS NOT NULL) OR (kind <> 'user' AND address IS NOT NULL)",
            name=op.f("ck_stakeholders_has_target"),
        ),
        _fk("stakeholders", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stakeholders")),
        sa.UniqueConstraint("scope", "scope_slug", "name", name="uq_stakeholders_name"),
    )

    op.create_table(
        "comms_template_overrides",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=1000), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("name", "language", name=op.f("pk_comms_template_overrides")),
    )


def downgrade() -> None:
    op.drop_table("comms_template_overrides")
    op.drop_table("stakeholders")
    op.drop_table("incident_checklist_ticks")
    op.drop_index("ix_update_cadences_due", table_name="update_cadences")
    op.drop_table("update_cadences")
    op.drop_index("ix_status_updates_fanned_out", table_name="status_updates")
    op.drop_index("ix_status_updates_incident", table_name="status_updates")
    op.drop_table("status_updates")
    op.drop_index("ux_incident_roles_single", table_name="incident_roles")
    op.drop_table("incident_roles")

    op.execute("DELETE FROM incident_reactions WHERE kind = 'severity'")
    with op.batch_alter_table("incident_reactions", schema=None) as batch_op:
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('opened', 'status', 'alerts')")

    op.drop_index("ix_deliveries_addressed_released", table_name="deliveries")
    # Messages to stakeholders have no place in the old outbox.
    op.execute("DELETE FROM deliveries WHERE kind = 'message' OR user_id IS NULL")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("has_recipient", type_="check")
        batch_op.drop_constraint("kind_known", type_="check")
        batch_op.create_check_constraint("kind_known", "kind IN ('page', 'digest')")
        batch_op.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("address")

    with op.batch_alter_table("incident_responders", schema=None) as batch_op:
        batch_op.drop_constraint("state_known", type_="check")
        batch_op.drop_column("joined_at")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("paged_at")
        batch_op.drop_column("via")
        batch_op.drop_column("state")

    with op.batch_alter_table("oncall_escalations", schema=None) as batch_op:
        batch_op.drop_column("unresolved_since")
        batch_op.drop_column("unresolved_due_at")
        batch_op.drop_column("unresolved_token")
        batch_op.drop_column("unresolved_next")

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("category")
        batch_op.drop_column("private")
        batch_op.drop_column("description")
