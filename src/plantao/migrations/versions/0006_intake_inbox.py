"""intake inbox: accepted requests waiting for the engine

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_inbox",
        # BIGINT on PostgreSQL (ids are spent fast under load); SQLite needs INTEGER to get its
        # auto-incrementing rowid.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column(
            "events",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'failed')", name=op.f("ck_intake_inbox_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_intake_inbox_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_inbox")),
    )
    with op.batch_alter_table("intake_inbox", schema=None) as batch_op:
        batch_op.create_index("ix_intake_inbox_state_id", ["state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("intake_inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_intake_inbox_state_id")
    op.drop_table("intake_inbox")
