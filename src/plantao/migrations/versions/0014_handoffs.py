"""oncall: shift handoffs, one per schedule and shift change

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 21:32:11.962058
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oncall_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("handoff_at", _WHEN, nullable=False),
        sa.Column("outgoing", _JSON, nullable=False),
        sa.Column("incoming", _JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facts", _JSON, nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("notes_by", sa.String(length=200), nullable=True),
        sa.Column("notes_at", _WHEN, nullable=True),
        sa.Column("send_at", _WHEN, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("recipients", _JSON, nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'sent')", name=op.f("ck_oncall_handoffs_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["oncall_schedules.id"],
            name=op.f("fk_oncall_handoffs_schedule_id_oncall_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_handoffs")),
        sa.UniqueConstraint("schedule_id", "handoff_at", name="uq_oncall_handoffs_schedule_at"),
    )
    with op.batch_alter_table("oncall_handoffs", schema=None) as batch_op:
        batch_op.create_index("ix_oncall_handoffs_due", ["status", "send_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oncall_handoffs", schema=None) as batch_op:
        batch_op.drop_index("ix_oncall_handoffs_due")

    op.drop_table("oncall_handoffs")
